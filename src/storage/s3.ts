/**
 * The workflow artifact repository's S3 client, over the AWS SDK v3: path-style
 * requests (`/bucket/key`, what MinIO and Ceph RGW expect), plus presigned GET
 * URLs rewritten to the public endpoint for users outside the cluster.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client as SdkS3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Config } from '../config/index.ts';
import { S3ObjectNotFoundError, S3RequestError, S3UnavailableError } from './errors.ts';

export interface S3Client {
  /** A time-limited GET URL for `key`, on the public endpoint (1 to 604800 seconds, S3's limit). */
  presignGetUrl(key: string, expiresInSeconds: number): Promise<string>;
  putObject(key: string, body: Buffer | string, contentType?: string): Promise<void>;
  /** The object's body as a Node readable stream; the caller consumes it. */
  getObject(key: string): Promise<NodeJS.ReadableStream>;
  /** The object's size, or null when there is no such object. */
  headObject(key: string): Promise<{ size: number } | null>;
  /** Closes the pooled connections. */
  destroy(): void;
}

interface S3ClientOptions {
  /** Limit on connecting, and on each request until its response headers arrive. */
  timeoutMs?: number;
  /** Extra attempts after a connection error, timeout or 5xx (all our S3 calls are idempotent). */
  retries?: number;
  /** The clock presigned URLs are signed with (tests pin it). */
  now?: () => Date;
}

const MAX_PRESIGN_SECONDS = 604_800;

/** The HTTP status of an SDK error, when S3 answered at all. */
function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * S3's `<Code>`, when the answer had an error body. The SDK names an error after that code; a
 * bodiless answer (HEAD) gets a generic name (`NotFound`, `Forbidden`, or the bare status).
 */
function codeOf(err: S3ServiceException): string | undefined {
  const body = (err as { Code?: string }).Code;
  if (body) return body;
  if (/^\d+$/.test(err.name) || err.name === 'NotFound' || err.name === 'Forbidden' || err.name === 'Unknown') return undefined;
  return err.name;
}

/** Turns an SDK failure into a storage error: unreachable or 5xx, no such object, or refused. */
function storageFailure(internal: string, bucket: string, operation: string, key: string, err: unknown): Error {
  const status = statusOf(err);
  if (!(err instanceof S3ServiceException) || status === undefined || status >= 500) {
    const why =
      status === undefined
        ? `is unreachable: ${(err as Error).message}`
        : `answered ${status}${err instanceof S3ServiceException && codeOf(err) ? `: ${err.message}` : ''}`;
    return new S3UnavailableError(internal, operation, `S3 endpoint ${internal} ${why} (${operation} "${key}")`, { cause: err });
  }
  const code = codeOf(err);
  if (status === 404 && (code === undefined || code === 'NoSuchKey')) return new S3ObjectNotFoundError(bucket, key);
  const detail = code ? err.message : `HTTP ${status}`;
  return new S3RequestError(
    operation,
    key,
    status,
    code,
    `S3 refused ${operation} "${key}" in bucket "${bucket}": ${code ? `${code}: ` : ''}${detail}`,
  );
}

/**
 * A URL signed for the internal host, as the reference does, moved onto the public endpoint, which proxies to it: the
 * internal endpoint's origin and path prefix give way to the public endpoint's.
 */
function onPublicEndpoint(signed: string, internalPrefix: string, publicEndpoint: string): string {
  let rest = signed.slice(new URL(signed).origin.length);
  if (rest.startsWith(`${internalPrefix}/`)) rest = rest.slice(internalPrefix.length);
  return publicEndpoint + rest;
}

/** Builds an S3 client for one bucket; requests go to the internal endpoint. */
export function createS3Client(config: S3Config, options: S3ClientOptions = {}): S3Client {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const internal = config.internalEndpointUrl.replace(/\/+$/, '');
  const publicEndpoint = config.publicEndpointUrl.replace(/\/+$/, '');
  const internalPrefix = new URL(internal).pathname.replace(/\/+$/, '');
  const sdk = new SdkS3Client({
    endpoint: internal,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    // MinIO and Ceph RGW serve `/bucket/key`, not `bucket.host/key`.
    forcePathStyle: true,
    maxAttempts: (options.retries ?? 2) + 1,
    // MinIO and older Ceph RGW refuse or ignore the SDK's default CRC32 trailers; SigV4's payload hash covers the body.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true }),
  });

  const failure = (operation: string, key: string, err: unknown) => storageFailure(internal, config.bucket, operation, key, err);

  return {
    async presignGetUrl(key, expiresInSeconds) {
      if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
        throw new RangeError(`expiresInSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}, got ${expiresInSeconds}`);
      }
      const signed = await getSignedUrl(sdk, new GetObjectCommand({ Bucket: config.bucket, Key: key }), {
        expiresIn: expiresInSeconds,
        signingDate: now(),
      });
      return onPublicEndpoint(signed, internalPrefix, publicEndpoint);
    },

    async putObject(key, body, contentType = 'application/octet-stream') {
      const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      try {
        await sdk.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: buffer, ContentType: contentType }));
      } catch (err) {
        throw failure('PutObject', key, err);
      }
    },

    async getObject(key) {
      try {
        const answer = await sdk.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
        // In Node the body is the response stream (an http.IncomingMessage).
        return answer.Body as NodeJS.ReadableStream;
      } catch (err) {
        throw failure('GetObject', key, err);
      }
    },

    async headObject(key) {
      try {
        const answer = await sdk.send(new HeadObjectCommand({ Bucket: config.bucket, Key: key }));
        return { size: answer.ContentLength ?? 0 };
      } catch (err) {
        const mapped = failure('HeadObject', key, err);
        if (mapped instanceof S3ObjectNotFoundError) return null;
        throw mapped;
      }
    },

    destroy() {
      sdk.destroy();
    },
  };
}
