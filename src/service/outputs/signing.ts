import { createHmac, timingSafeEqual } from 'node:crypto';

/** Signature of a download link: HMAC-SHA256 over the path and expiry with a key derived from the JWT secret. */
function signature(key: string, path: string, expires: number): string {
  return createHmac('sha256', `ogdc-output:${key}`).update(`${path}\n${expires}`).digest('base64url');
}

/** A query string that makes `path` downloadable until `expires` (seconds since the epoch). */
export function signDownload(key: string, path: string, expires: number): string {
  return `expires=${expires}&signature=${signature(key, path, expires)}`;
}

/** Whether a download link's signature matches and has not expired. */
export function verifyDownload(key: string, path: string, expires: number, given: string, nowSeconds = Date.now() / 1000): boolean {
  if (!Number.isInteger(expires) || expires < nowSeconds) return false;
  const expected = Buffer.from(signature(key, path, expires));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
