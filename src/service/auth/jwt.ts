import { SignJWT, jwtVerify } from 'jose';

/**
 * Claims of a local access token. `uid` and `ver` name the user row and its token version, so a
 * password change, a disable or a delete ends every token issued before it. Tokens minted by the
 * Python service carry only `sub` and `exp`: `uid` and `ver` are then undefined and `iat` 0.
 */
export interface TokenClaims {
  sub: string;
  iat: number;
  exp: number;
  uid?: number;
  ver?: number;
}

const MAX_TOKEN_LENGTH = 4096;

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs an HS256 JWT (via jose) with the given claims. */
export async function signToken(claims: TokenClaims, secret: string): Promise<string> {
  const { sub, iat, exp, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keyOf(secret));
}

/**
 * Verifies a local token with jose: only HS256 (never `none`, another HMAC or a public-key
 * algorithm), `exp` required and in the future, `sub` a string. Undefined for any failure.
 */
export async function verifyToken(token: string, secret: string, nowSeconds = Date.now() / 1000): Promise<TokenClaims | undefined> {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(nowSeconds * 1000),
    });
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return undefined;
    // A refresh token (token_use) is never an access token.
    if (payload.token_use !== undefined) return undefined;
    const uid = typeof payload.uid === 'number' ? payload.uid : undefined;
    const ver = typeof payload.ver === 'number' ? payload.ver : undefined;
    // A token that names a user id must name a version too, and the other way round.
    if ((uid === undefined) !== (ver === undefined)) return undefined;
    return { sub: payload.sub, iat: typeof payload.iat === 'number' ? payload.iat : 0, exp: payload.exp, uid, ver };
  } catch {
    return undefined;
  }
}
