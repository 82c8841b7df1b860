import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Queryable } from '../../db/types.ts';

/**
 * Refresh tokens of local accounts. A token is a random 32-byte `jti` inside an HS256 JWT: the
 * JWT form lets clients read its `exp` without asking (the v0.4 CLI checks `exp` before using a
 * refresh token); the database keeps only the SHA-256 of the whole token, which is what decides.
 * Each use marks the token used and issues its successor in the same family; a used token shown
 * again means it was copied, and the whole family ends.
 */

/** The `token_use` claim that tells a refresh token from an access token. */
const REFRESH_TOKEN_USE = 'refresh';
const MAX_TOKEN_LENGTH = 4096;

interface RefreshClaims {
  sub: string;
  uid: number;
  fam: string;
  exp: number;
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Issues a refresh token for the user (a new family unless `family` is given) and stores its hash. */
export async function issueRefreshToken(
  db: Queryable,
  secret: string,
  user: { id: number; name: string; tokenVersion: number },
  lifetimeSeconds: number,
  family = randomBytes(16).toString('hex'),
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + lifetimeSeconds;
  const token = await new SignJWT({ token_use: REFRESH_TOKEN_USE, uid: user.id, fam: family })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.name)
    .setJti(randomBytes(32).toString('base64url'))
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keyOf(secret));
  const expiresAt = new Date(exp * 1000);
  await db.query('INSERT INTO refresh_tokens (token_hash, family, user_id, token_version, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    hashOf(token),
    family,
    user.id,
    user.tokenVersion,
    expiresAt,
  ]);
  return { token, expiresAt };
}

/** The claims of a token this service signed as a refresh token, or undefined (not ours, expired, an access token). */
export async function readRefreshToken(token: string, secret: string): Promise<RefreshClaims | undefined> {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub', 'jti'] });
    if (payload.token_use !== REFRESH_TOKEN_USE || typeof payload.uid !== 'number' || typeof payload.fam !== 'string') return undefined;
    return { sub: payload.sub!, uid: payload.uid, fam: payload.fam, exp: payload.exp! };
  } catch {
    return undefined;
  }
}

/** Whether `token` looks like a local refresh token at all (an HS256 JWT with `token_use`), without checking it. */
export function isLocalRefreshTokenShape(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { token_use?: unknown };
    return header.alg === 'HS256' && payload.token_use === REFRESH_TOKEN_USE;
  } catch {
    return false;
  }
}

type SpendResult =
  { ok: true; userId: number; tokenVersion: number; family: string } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' };

/**
 * Uses a refresh token once: marks it used and answers its user, family and the token version it
 * was issued under. A token already used revokes its family (the rightful holder has its successor).
 */
export async function spendRefreshToken(db: Queryable, token: string): Promise<SpendResult> {
  const hash = hashOf(token);
  const spent = await db.query<{ user_id: string | number; token_version: string | number; family: string }>(
    `UPDATE refresh_tokens SET used_at = now()
     WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
     RETURNING user_id, token_version, family`,
    [hash],
  );
  if (spent[0])
    return { ok: true, userId: Number(spent[0].user_id), tokenVersion: Number(spent[0].token_version), family: spent[0].family };
  const rows = await db.query<{ family: string; used_at: Date | null; revoked_at: Date | null }>(
    'SELECT family, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1',
    [hash],
  );
  const row = rows[0];
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revoked_at) return { ok: false, reason: 'revoked' };
  if (row.used_at) {
    await revokeFamily(db, row.family);
    return { ok: false, reason: 'reused' };
  }
  return { ok: false, reason: 'expired' };
}

/** Ends every token of a family. */
async function revokeFamily(db: Queryable, family: string): Promise<void> {
  await db.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND revoked_at IS NULL', [family]);
}

/** Ends the family of `token` (logout); false when the token is not known. */
export async function revokeRefreshToken(db: Queryable, token: string): Promise<boolean> {
  const rows = await db.query<{ family: string }>('SELECT family FROM refresh_tokens WHERE token_hash = $1', [hashOf(token)]);
  if (!rows[0]) return false;
  await revokeFamily(db, rows[0].family);
  return true;
}

/** Drops rows expired for a day or more, so the table does not grow without bound. */
export async function pruneRefreshTokens(db: Queryable): Promise<void> {
  await db.query("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'");
}
