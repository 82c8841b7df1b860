import type { Queryable } from '../../db/types.ts';
import { findUserByName, type User } from '../users/repository.ts';
import { signToken, verifyToken, type TokenClaims } from './jwt.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { InvalidCredentialsError, NotAuthenticatedError } from '../errors.ts';

export const ACCESS_TOKEN_LIFETIME_SECONDS = 30 * 60;
const TOKEN_CACHE_MAX = 10_000;
const USER_CACHE_TTL_MS = 5_000;
/** Who open mode acts as: the admin created at startup, so every route (user admin too) works on a laptop. */
const LOCAL_USERNAME = 'admin';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  utc_expiration: string;
}

/** `2026-11-26T13:00:00.000000+00:00`: what Python's isoformat gives, so `datetime.fromisoformat` reads it on every Python 3. */
export function pythonIsoUtc(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000+00:00`;
}

export interface Auth {
  /** Checks a name and password; returns a fresh token or throws 401. */
  login(username: string, password: string): Promise<IssuedToken | undefined>;
  /** Resolves the user of an `Authorization` header value, or throws 401. */
  authenticate(authorization: string | undefined): Promise<User>;
  /** The user every request acts as in `open` mode (and anonymous reads in `read_only`): `admin`. */
  localUser(): Promise<User>;
  /** Drops cached state about a user after it changed (password, disabled, deleted). */
  forgetUser(name: string): void;
}

/**
 * Whether a verified token still speaks for `user`. Tokens we issue name the row and its token
 * version: a recreated name has another id, a password change or disable another version.
 * Tokens without them (the Python service's: `sub` and `exp` only, or ours from before versions)
 * hold while the version never moved and they were issued (`iat`, else `exp` less the lifetime)
 * no earlier than the user's creation and last password change.
 */
function tokenStillHolds(claims: TokenClaims, user: User): boolean {
  if (claims.uid !== undefined) return claims.uid === user.id && claims.ver === user.tokenVersion;
  if (user.tokenVersion !== 0) return false;
  const issued = claims.iat || claims.exp - ACCESS_TOKEN_LIFETIME_SECONDS;
  const since = Math.floor(Math.max(user.createdAt.getTime(), user.passwordChangedAt.getTime()) / 1000);
  return issued >= since;
}

/**
 * Token issuing and checking. Verified tokens and looked-up users are cached
 * briefly: an HMAC check and a database round trip per request dominate the
 * cost of an authenticated request otherwise. Changes made through this
 * service invalidate the user cache at once; the TTL bounds staleness for
 * changes made by another instance.
 */
export function createAuth(db: Queryable, secretKey: string): Auth {
  const verified = new Map<string, TokenClaims>();
  const users = new Map<string, { user: User | undefined; until: number }>();

  async function lookup(name: string): Promise<User | undefined> {
    const now = Date.now();
    const hit = users.get(name);
    if (hit && hit.until > now) return hit.user;
    const user = await findUserByName(db, name);
    users.set(name, { user, until: now + USER_CACHE_TTL_MS });
    if (users.size > TOKEN_CACHE_MAX) users.delete(users.keys().next().value as string);
    return user;
  }

  async function claimsOf(token: string): Promise<TokenClaims | undefined> {
    const nowSeconds = Date.now() / 1000;
    const cached = verified.get(token);
    if (cached) {
      if (cached.exp > nowSeconds) return cached;
      verified.delete(token);
      return undefined;
    }
    const claims = await verifyToken(token, secretKey, nowSeconds);
    if (claims) {
      if (verified.size >= TOKEN_CACHE_MAX) verified.delete(verified.keys().next().value as string);
      verified.set(token, claims);
    }
    return claims;
  }

  return {
    async login(username, password) {
      const user = await findUserByName(db, username);
      // Unknown users cost one argon2 verification too, like a wrong password.
      const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
      if (!user || !ok || user.disabledAt) return undefined;
      const iat = Math.floor(Date.now() / 1000);
      const exp = iat + ACCESS_TOKEN_LIFETIME_SECONDS;
      return {
        access_token: await signToken({ sub: user.name, iat, exp, uid: user.id, ver: user.tokenVersion }, secretKey),
        token_type: 'Bearer',
        utc_expiration: pythonIsoUtc(new Date(exp * 1000)),
      };
    },
    async authenticate(authorization) {
      if (!authorization) throw new NotAuthenticatedError();
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw new NotAuthenticatedError();
      const claims = await claimsOf(match[1]!);
      if (!claims) throw new InvalidCredentialsError();
      const user = await lookup(claims.sub);
      if (!user || user.disabledAt || !tokenStillHolds(claims, user)) throw new InvalidCredentialsError();
      return user;
    },
    async localUser() {
      const user = await lookup(LOCAL_USERNAME);
      // ensureAdmin creates it at startup; a missing admin is a broken database, not a client error.
      if (!user) throw new Error(`the ${LOCAL_USERNAME} user is missing`);
      return user;
    },
    forgetUser(name) {
      users.delete(name);
    },
  };
}
