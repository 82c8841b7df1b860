import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims we issue and accept. */
export interface TokenClaims {
  sub: string;
  iat: number;
  exp: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sign(input: string, key: string): Buffer {
  return createHmac('sha256', key).update(input).digest();
}

/** Signs an HS256 JWT with `sub`, `iat` and `exp` (seconds since the epoch). */
export function signToken(claims: TokenClaims, key: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${HEADER}.${payload}`;
  return `${input}.${sign(input, key).toString('base64url')}`;
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies an HS256 JWT: only `alg: HS256` is accepted (never `none` or another
 * algorithm), the signature is compared in constant time, `exp` must be in the
 * future and `sub` a string. Returns the claims, or undefined for any failure.
 */
export function verifyToken(token: string, key: string, nowSeconds = Date.now() / 1000): TokenClaims | undefined {
  if (token.length > 4096) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart) as { alg?: unknown } | undefined;
  if (!header || typeof header !== 'object' || header.alg !== 'HS256') return undefined;
  const expected = sign(`${headerPart}.${payloadPart}`, key);
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = decodeJson(payloadPart) as Partial<TokenClaims> | undefined;
  if (!claims || typeof claims !== 'object') return undefined;
  if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
  if (claims.exp <= nowSeconds) return undefined;
  return { sub: claims.sub, iat: typeof claims.iat === 'number' ? claims.iat : 0, exp: claims.exp };
}
