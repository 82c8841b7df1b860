/**
 * A small S3 client for the workflow artifact repository: path-style requests
 * (`/bucket/key`, what MinIO and Ceph RGW expect), SigV4-signed, plus presigned
 * GET URLs rewritten to the public endpoint for users outside the cluster.
 */
import http from 'node:http';
import https from 'node:https';
import type { S3Config } from '../config/index.ts';
import { S3ObjectNotFoundError, S3RequestError, S3UnavailableError } from './errors.ts';
import { EMPTY_PAYLOAD_HASH, encodeKeyPath, presignUrl, sha256Hex, signRequestHeaders } from './sigv4.ts';

export interface S3Client {
  /** A time-limited GET URL for `key`, on the public endpoint. */
  presignGetUrl(key: string, expiresInSeconds: number): string;
  putObject(key: string, body: Buffer | string, contentType?: string): Promise<void>;
  /** The object's body as a Node readable stream (an `http.IncomingMessage`); the caller consumes it. */
  getObject(key: string): Promise<NodeJS.ReadableStream>;
  /** The object's size, or null when there is no such object. */
  headObject(key: string): Promise<{ size: number } | null>;
}

export interface S3ClientOptions {
  /** Per-request limit until the response headers arrive. */
  timeoutMs?: number;
  /** Extra attempts after a connection error or 5xx (all our S3 calls are idempotent). */
  retries?: number;
  /** The clock used for signatures (tests pin it). */
  now?: () => Date;
}

interface Sent {
  status: number;
  response: http.IncomingMessage;
}

function xmlField(xml: string, field: string): string | undefined {
  return new RegExp(`<${field}>([^<]*)</${field}>`).exec(xml)?.[1];
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds an S3 client for one bucket; requests go to the internal endpoint. */
export function createS3Client(config: S3Config, options: S3ClientOptions = {}): S3Client {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const now = options.now ?? (() => new Date());
  const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, region: config.region };
  const internal = config.internalEndpointUrl.replace(/\/+$/, '');
  const publicEndpoint = config.publicEndpointUrl.replace(/\/+$/, '');

  const objectUrl = (key: string) => `${internal}/${encodeKeyPath(config.bucket)}/${encodeKeyPath(key)}`;

  function sendOnce(method: string, key: string, body: Buffer | undefined, extra: Record<string, string>): Promise<Sent> {
    const url = objectUrl(key);
    const headers = signRequestHeaders({
      method,
      url,
      headers: extra,
      payloadHash: body ? sha256Hex(body) : EMPTY_PAYLOAD_HASH,
      credentials,
      now: now(),
    });
    if (body) headers['content-length'] = String(body.length);
    const transport = url.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers }, (response) => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, response });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }

  async function send(operation: string, method: string, key: string, body?: Buffer, extra: Record<string, string> = {}) {
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      let cause: unknown;
      try {
        const sent = await sendOnce(method, key, body, extra);
        if (sent.status < 500) return sent;
        const text = await readAll(sent.response);
        failure = `answered ${sent.status}${xmlField(text, 'Message') ? `: ${xmlField(text, 'Message')}` : ''}`;
      } catch (err) {
        cause = err;
        failure = `is unreachable: ${(err as Error).message}`;
      }
      if (attempt >= retries) {
        throw new S3UnavailableError(internal, operation, `S3 endpoint ${internal} ${failure} (${operation} "${key}")`, { cause });
      }
      await sleep(100 * 2 ** attempt);
    }
  }

  async function refuse(operation: string, key: string, sent: Sent): Promise<never> {
    // A HEAD answer has no body, so this reads nothing for it.
    const text = await readAll(sent.response);
    const code = xmlField(text, 'Code');
    if (sent.status === 404 && (code === undefined || code === 'NoSuchKey')) throw new S3ObjectNotFoundError(config.bucket, key);
    const detail = xmlField(text, 'Message') ?? `HTTP ${sent.status}`;
    throw new S3RequestError(
      operation,
      key,
      sent.status,
      code,
      `S3 refused ${operation} "${key}" in bucket "${config.bucket}": ${code ? `${code}: ` : ''}${detail}`,
    );
  }

  return {
    presignGetUrl(key, expiresInSeconds) {
      const signed = presignUrl({ method: 'GET', url: objectUrl(key), credentials, expiresInSeconds, now: now() });
      // Signed for the internal host, as the reference does; the public endpoint proxies to it.
      return publicEndpoint + signed.slice(internal.length);
    },

    async putObject(key, body, contentType = 'application/octet-stream') {
      const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const sent = await send('PutObject', 'PUT', key, buffer, { 'content-type': contentType });
      if (sent.status !== 200) await refuse('PutObject', key, sent);
      sent.response.resume();
    },

    async getObject(key) {
      const sent = await send('GetObject', 'GET', key);
      if (sent.status !== 200) await refuse('GetObject', key, sent);
      return sent.response;
    },

    async headObject(key) {
      const sent = await send('HeadObject', 'HEAD', key);
      if (sent.status !== 200 && sent.status !== 404) await refuse('HeadObject', key, sent);
      sent.response.resume();
      if (sent.status === 404) return null;
      return { size: Number(sent.response.headers['content-length'] ?? 0) };
    },
  };
}
