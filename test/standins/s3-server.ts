/**
 * A loopback stand-in for S3 (path-style `/bucket/key`, PUT/GET/HEAD) that checks
 * SigV4 the way S3 does: header-signed requests and presigned query URLs, with
 * expiry. TEST-ONLY: the verifier below is written from the server's side and
 * shares no code with the client (the AWS SDK), so a request it accepts proves
 * the signing as src/storage/s3.ts configures it, not just its consistency.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Standin {
  url: string;
  close(): Promise<void>;
  /** Stored objects by key (within the one bucket). */
  objects: Map<string, Buffer>;
  requests: Array<{ method: string; path: string }>;
}

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function awsEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 128 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function parseQuery(raw: string): Array<[string, string]> {
  if (!raw) return [];
  return raw.split('&').map((pair) => {
    const i = pair.indexOf('=');
    const k = i < 0 ? pair : pair.slice(0, i);
    const v = i < 0 ? '' : pair.slice(i + 1);
    return [decodeURIComponent(k), decodeURIComponent(v)];
  });
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

interface SignatureInput {
  method: string;
  canonicalUri: string;
  query: Array<[string, string]>;
  headers: http.IncomingHttpHeaders;
  signedHeaders: string[];
  payloadHash: string;
  date: string;
  credentialScope: string;
  secret: string;
}

function expectedSignature(input: SignatureInput): string {
  const canonicalQuery = input.query
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = input.signedHeaders
    .map(
      (name) =>
        `${name}:${String(input.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalRequest = [
    input.method,
    input.canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', input.date, input.credentialScope, hex(canonicalRequest)].join('\n');
  const [day, region, service] = input.credentialScope.split('/') as [string, string, string];
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secret}`, day), region), service), 'aws4_request');
  return hmac(key, stringToSign).toString('hex');
}

function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new S3Failure(400, 'AuthorizationQueryParametersError', `X-Amz-Date "${value}" is malformed`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Starts the S3 stand-in on 127.0.0.1, port chosen by the OS. */
export async function startS3Standin(options: {
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  region?: string;
  now?: () => Date;
}): Promise<S3Standin> {
  const objects = new Map<string, Buffer>();
  const contentTypes = new Map<string, string>();
  const requests: S3Standin['requests'] = [];
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? (() => new Date());

  function checkCredential(credential: string): { date: string; scope: string } {
    const [accessKey, ...scopeParts] = credential.split('/');
    if (accessKey !== options.accessKeyId) {
      throw new S3Failure(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    }
    const scope = scopeParts.join('/');
    if (scopeParts.length !== 4 || scopeParts[1] !== region || scopeParts[2] !== 's3' || scopeParts[3] !== 'aws4_request') {
      throw new S3Failure(
        400,
        'AuthorizationHeaderMalformed',
        `The authorization credential scope "${scope}" is wrong; expecting region "${region}".`,
      );
    }
    return { date: scopeParts[0]!, scope };
  }

  function authenticate(req: http.IncomingMessage, rawPath: string, rawQuery: string, body: Buffer): void {
    const method = req.method ?? 'GET';
    const canonicalUri = rawPath
      .split('/')
      .map((segment) => awsEncode(decodeURIComponent(segment)))
      .join('/');
    const query = parseQuery(rawQuery);
    const q = new Map(query);
    const authorization = req.headers.authorization;
    if (q.has('X-Amz-Signature')) {
      if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
        throw new S3Failure(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
      }
      const { scope } = checkCredential(q.get('X-Amz-Credential') ?? '');
      const date = q.get('X-Amz-Date') ?? '';
      const signedAt = parseAmzDate(date);
      const expires = Number(q.get('X-Amz-Expires'));
      if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
        throw new S3Failure(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds');
      }
      const expected = expectedSignature({
        method,
        canonicalUri,
        query: query.filter(([k]) => k !== 'X-Amz-Signature'),
        headers: req.headers,
        signedHeaders: (q.get('X-Amz-SignedHeaders') ?? '').split(';'),
        payloadHash: 'UNSIGNED-PAYLOAD',
        date,
        credentialScope: scope,
        secret: options.secretAccessKey,
      });
      if (!sameSignature(expected, q.get('X-Amz-Signature') ?? '')) {
        throw new S3Failure(
          403,
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        );
      }
      // S3 checks the signature before the expiry, as here.
      if (now().getTime() > signedAt + expires * 1000) throw new S3Failure(403, 'AccessDenied', 'Request has expired');
      return;
    }
    if (!authorization) throw new S3Failure(403, 'AccessDenied', 'Access Denied');
    const m = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(authorization);
    if (!m) throw new S3Failure(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    const { scope } = checkCredential(m[1]!);
    const date = String(req.headers['x-amz-date'] ?? '');
    if (Math.abs(now().getTime() - parseAmzDate(date)) > 15 * 60 * 1000) {
      throw new S3Failure(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== hex(body)) {
      throw new S3Failure(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const signedHeaders = m[2]!.split(';');
    if (!signedHeaders.includes('host')) throw new S3Failure(400, 'AuthorizationHeaderMalformed', 'host must be a signed header');
    const expected = expectedSignature({
      method,
      canonicalUri,
      query,
      headers: req.headers,
      signedHeaders,
      payloadHash,
      date,
      credentialScope: scope,
      secret: options.secretAccessKey,
    });
    if (!sameSignature(expected, m[3]!)) {
      throw new S3Failure(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    }
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const rawUrl = req.url ?? '/';
    const qIndex = rawUrl.indexOf('?');
    const rawPath = qIndex < 0 ? rawUrl : rawUrl.slice(0, qIndex);
    const rawQuery = qIndex < 0 ? '' : rawUrl.slice(qIndex + 1);
    requests.push({ method: req.method ?? '', path: rawPath });
    authenticate(req, rawPath, rawQuery, body);
    const [, bucket, ...keyParts] = rawPath.split('/').map((s) => decodeURIComponent(s));
    const key = keyParts.join('/');
    if (bucket !== options.bucket) throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (!key) throw new S3Failure(501, 'NotImplemented', 'Only object requests are implemented by this stand-in');
    if (req.method === 'PUT') {
      objects.set(key, body);
      contentTypes.set(key, String(req.headers['content-type'] ?? 'binary/octet-stream'));
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const object = objects.get(key);
      if (!object) throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'content-length': object.length, 'content-type': contentTypes.get(key) ?? 'binary/octet-stream' });
      res.end(req.method === 'GET' ? object : undefined);
      return;
    }
    throw new S3Failure(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        const failure = err instanceof S3Failure ? err : new S3Failure(500, 'InternalError', String(err));
        const xml =
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code>` +
          `<Message>${failure.message}</Message><RequestId>standin</RequestId></Error>`;
        res.writeHead(failure.status, { 'content-type': 'application/xml' });
        res.end(req.method === 'HEAD' ? undefined : xml);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
