/**
 * AWS Signature Version 4 for S3, with `node:crypto` only. Pure functions: the
 * clock is a parameter, so the published AWS test vectors can pin them down.
 */
import { createHash, createHmac } from 'node:crypto';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** `s3` for every call we make. */
  service?: string;
}

/** SHA-256 of an empty body, the payload hash of GET and HEAD requests. */
export const EMPTY_PAYLOAD_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Lower-case hex SHA-256 of a body. */
export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-._~` is %XX, upper-case hex. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Encodes an object key for an S3 path: each segment encoded, the slashes kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(uriEncode).join('/');
}

/** `20130524T000000Z`, the SigV4 timestamp format. */
export function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function scope(date: string, creds: SigningCredentials): string {
  return `${date.slice(0, 8)}/${creds.region}/${creds.service ?? 's3'}/aws4_request`;
}

function signingKey(date: string, creds: SigningCredentials): Buffer {
  const kDate = hmac(`AWS4${creds.secretAccessKey}`, date.slice(0, 8));
  const kRegion = hmac(kDate, creds.region);
  const kService = hmac(kRegion, creds.service ?? 's3');
  return hmac(kService, 'aws4_request');
}

function canonicalQuery(params: Array<[string, string]>): string {
  return params
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function signature(
  method: string,
  url: URL,
  query: Array<[string, string]>,
  headers: Record<string, string>,
  payloadHash: string,
  date: string,
  creds: SigningCredentials,
): { signature: string; signedHeaders: string } {
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names.map((h) => `${h}:${String(lower[h]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  // url.pathname is already percent-encoded by the caller (encodeKeyPath); S3 does not encode twice.
  const canonicalRequest = [method, url.pathname || '/', canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash].join(
    '\n',
  );
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope(date, creds), sha256Hex(canonicalRequest)].join('\n');
  return { signature: hmac(signingKey(date, creds), stringToSign).toString('hex'), signedHeaders };
}

/** A presigned URL: the `X-Amz-*` query parameters sign method, path and host for `expiresInSeconds`. */
export function presignUrl(options: {
  method: string;
  url: string;
  credentials: SigningCredentials;
  expiresInSeconds: number;
  now: Date;
}): string {
  const { credentials: creds } = options;
  if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds < 1 || options.expiresInSeconds > 604_800) {
    // S3 itself refuses presigned URLs valid for more than 7 days.
    throw new RangeError(`expiresInSeconds must be a whole number from 1 to 604800, got ${options.expiresInSeconds}`);
  }
  const url = new URL(options.url);
  const date = amzDate(options.now);
  const query: Array<[string, string]> = [...url.searchParams.entries()];
  query.push(
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKeyId}/${scope(date, creds)}`],
    ['X-Amz-Date', date],
    ['X-Amz-Expires', String(options.expiresInSeconds)],
    ['X-Amz-SignedHeaders', 'host'],
  );
  const signed = signature(options.method, url, query, { host: url.host }, 'UNSIGNED-PAYLOAD', date, creds);
  query.push(['X-Amz-Signature', signed.signature]);
  url.search = canonicalQuery(query);
  return url.toString();
}

/**
 * Headers that sign a request with `Authorization: AWS4-HMAC-SHA256 …`. `headers` are the
 * extra headers to sign (e.g. content-type, range); host, x-amz-date and
 * x-amz-content-sha256 are added.
 */
export function signRequestHeaders(options: {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payloadHash: string;
  credentials: SigningCredentials;
  now: Date;
}): Record<string, string> {
  const { credentials: creds } = options;
  const url = new URL(options.url);
  const date = amzDate(options.now);
  const headers: Record<string, string> = {
    ...options.headers,
    host: url.host,
    'x-amz-content-sha256': options.payloadHash,
    'x-amz-date': date,
  };
  const query: Array<[string, string]> = [...url.searchParams.entries()];
  const signed = signature(options.method, url, query, headers, options.payloadHash, date, creds);
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope(date, creds)}, ` +
    `SignedHeaders=${signed.signedHeaders}, Signature=${signed.signature}`;
  return headers;
}
