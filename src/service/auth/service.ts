import { decodeProtectedHeader } from 'jose';
import type { Queryable } from '../../db/types.ts';
import { ADMIN_USERNAME } from '../users/admin.ts';
import { ensureProviderUser, findUserById, findUserByName, type User } from '../users/repository.ts';
import { signToken, verifyToken, type TokenClaims } from './jwt.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { HttpError, InvalidCredentialsError, NotAuthenticatedError } from '../errors.ts';
import { DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS } from '../../config/identity.ts';
import { ProviderTokenError, ProviderUnavailableError, type Oidc, type ProviderIdentity } from './oidc.ts';
import { isLocalRefreshTokenShape, issueRefreshToken, readRefreshToken, revokeRefreshToken, spendRefreshToken } from './refresh-tokens.ts';

export const ACCESS_TOKEN_LIFETIME_SECONDS = 30 * 60;
const TOKEN_CACHE_MAX = 10_000;
const USER_CACHE_TTL_MS = 5_000;
/** Who open mode acts as: the admin created at startup, so every route (user admin too) works on a laptop. */
const LOCAL_USERNAME = ADMIN_USERNAME;

interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  utc_expiration: string;
  refresh_token: string;
}

/** A refresh token that is unknown, expired, used before, revoked, or whose user changed: 401. */
export class InvalidRefreshTokenError extends HttpError {
  constructor(reason: string) {
    super(401, `Invalid refresh token: ${reason}.`, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
}

/** A bearer token of the OpenID provider that does not verify: 401 naming why. */
class InvalidProviderTokenError extends HttpError {
  constructor(reason: string) {
    super(401, `Could not validate credentials: ${reason}`, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
}

interface AuthOptions {
  /** The OpenID provider whose access tokens are accepted beside local ones. */
  oidc?: Oidc;
  /** The scope that makes a provider user admin. */
  adminScope?: string;
  refreshTokenLifetimeSeconds?: number;
}

/** `2026-11-26T13:00:00.000000+00:00`: what Python's isoformat gives, so `datetime.fromisoformat` reads it on every Python 3. */
export function pythonIsoUtc(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000+00:00`;
}

export interface Auth {
  /** Checks a name and password; returns fresh access and refresh tokens, or undefined. */
  login(username: string, password: string): Promise<IssuedToken | undefined>;
  /** Spends a local refresh token (rotation) and answers fresh tokens; throws InvalidRefreshTokenError. */
  refreshLocal(refreshToken: string): Promise<IssuedToken>;
  /** Whether the token is one of this service's refresh tokens by its form (it may still be invalid). */
  isLocalRefreshToken(refreshToken: string): boolean;
  /** Ends the family of a local refresh token; false when unknown. */
  logoutLocal(refreshToken: string): Promise<boolean>;
  /** The user a provider access token speaks for (recorded on first sight); throws 401. */
  providerUser(accessToken: string): Promise<User>;
  /** Resolves the user of an `Authorization` header value, or throws 401. */
  authenticate(authorization: string | undefined): Promise<User>;
  /** The user every request acts as in `open` mode (and anonymous reads in `read_only`): `admin`. */
  localUser(): Promise<User>;
  /** Drops cached state about a user after it changed (password, disabled, deleted). */
  forgetUser(name: string): void;
}

function headerAlg(token: string): unknown {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    return undefined;
  }
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

/** The provider's verdict on `token`: its identity, or 401 (a token it refuses, or a provider that cannot answer). */
async function providerIdentity(oidc: Oidc, token: string): Promise<ProviderIdentity> {
  try {
    return await oidc.verify(token);
  } catch (err) {
    if (err instanceof ProviderTokenError) throw new InvalidProviderTokenError(err.message);
    // A provider (or its JWKS) that is down or answers garbage cannot vouch for a token: 401, not 5xx.
    if (err instanceof ProviderUnavailableError) throw new InvalidProviderTokenError(`${err.message}.`);
    throw err;
  }
}

/** Spends a local refresh token (rotation): its user, if still the one it was issued to, and its sign-in's family. */
async function refreshedUser(db: Queryable, secretKey: string, refreshToken: string): Promise<{ user: User; family: string }> {
  const claims = await readRefreshToken(refreshToken, secretKey);
  if (!claims) throw new InvalidRefreshTokenError('it is not a valid refresh token of this service or has expired');
  const spent = await spendRefreshToken(db, refreshToken);
  if (!spent.ok) {
    const why = {
      unknown: 'it is not known',
      expired: 'it has expired',
      revoked: 'it was revoked',
      reused: 'it was used before, so every token of its sign-in is now revoked',
    };
    throw new InvalidRefreshTokenError(why[spent.reason]);
  }
  const user = await findUserById(db, spent.userId);
  if (!user || user.issuer !== null) throw new InvalidRefreshTokenError('its user no longer exists');
  if (user.disabledAt) throw new InvalidRefreshTokenError('its user is disabled');
  if (user.tokenVersion !== spent.tokenVersion)
    throw new InvalidRefreshTokenError("its user's password or status changed since it was issued");
  return { user, family: spent.family };
}

/** `token`'s claims if it is one of this service's and valid; verified tokens are kept until they expire. */
function verifiedClaims(secretKey: string): (token: string) => Promise<TokenClaims | undefined> {
  const verified = new Map<string, TokenClaims>();
  return async (token) => {
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
  };
}

/** Users by name, each looked up at most once per USER_CACHE_TTL_MS unless forgotten. */
function cachedUsers(db: Queryable): { get(name: string): Promise<User | undefined>; forget(name: string): void } {
  const users = new Map<string, { user: User | undefined; until: number }>();
  return {
    async get(name) {
      const now = Date.now();
      const hit = users.get(name);
      if (hit && hit.until > now) return hit.user;
      const user = await findUserByName(db, name);
      users.set(name, { user, until: now + USER_CACHE_TTL_MS });
      if (users.size > TOKEN_CACHE_MAX) users.delete(users.keys().next().value as string);
      return user;
    },
    forget(name) {
      users.delete(name);
    },
  };
}

/**
 * The user of an OpenID provider's access token, recorded on first sight. Verified provider tokens are kept until
 * they expire: they keep working while the provider is down.
 */
function providerUsers(db: Queryable, oidc: Oidc | undefined, adminScope: string): (token: string) => Promise<User> {
  const providerVerified = new Map<string, { identity: ProviderIdentity; user: User }>();
  return async (token) => {
    const nowSeconds = Date.now() / 1000;
    const cached = providerVerified.get(token);
    if (cached && cached.identity.exp > nowSeconds) return cached.user;
    if (cached) providerVerified.delete(token);
    if (!oidc) throw new InvalidCredentialsError();
    const identity = await providerIdentity(oidc, token);
    const row = await ensureProviderUser(db, { issuer: identity.issuer, subject: identity.subject, name: identity.username });
    if (row.disabledAt) throw new InvalidCredentialsError();
    // Admin is a property of the token (its scopes), not of the row.
    const user: User = { ...row, isAdmin: identity.scopes.includes(adminScope) };
    if (providerVerified.size >= TOKEN_CACHE_MAX) providerVerified.delete(providerVerified.keys().next().value as string);
    providerVerified.set(token, { identity, user });
    return user;
  };
}

/**
 * Token issuing and checking. Verified tokens and looked-up users are cached
 * briefly: an HMAC check and a database round trip per request dominate the
 * cost of an authenticated request otherwise. Changes made through this
 * service invalidate the user cache at once; the TTL bounds staleness for
 * changes made by another instance.
 */
export function createAuth(db: Queryable, secretKey: string, options: AuthOptions = {}): Auth {
  const { oidc } = options;
  const adminScope = options.adminScope ?? 'ogdc:admin';
  const refreshLifetime = options.refreshTokenLifetimeSeconds ?? DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS;
  const claimsOf = verifiedClaims(secretKey);
  const users = cachedUsers(db);
  const lookup = users.get;
  const providerUser = providerUsers(db, oidc, adminScope);

  async function issue(user: User, family?: string): Promise<IssuedToken> {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ACCESS_TOKEN_LIFETIME_SECONDS;
    const refresh = await issueRefreshToken(db, secretKey, user, refreshLifetime, family);
    return {
      access_token: await signToken({ sub: user.name, iat, exp, uid: user.id, ver: user.tokenVersion }, secretKey),
      token_type: 'Bearer',
      utc_expiration: pythonIsoUtc(new Date(exp * 1000)),
      refresh_token: refresh.token,
    };
  }

  return {
    async login(username, password) {
      const user = await findUserByName(db, username);
      // Unknown users cost one argon2 verification too, like a wrong password.
      const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
      if (!user || !ok || user.disabledAt) return undefined;
      return issue(user);
    },
    isLocalRefreshToken: isLocalRefreshTokenShape,
    async refreshLocal(refreshToken) {
      const { user, family } = await refreshedUser(db, secretKey, refreshToken);
      return issue(user, family);
    },
    logoutLocal: (refreshToken) => revokeRefreshToken(db, refreshToken),
    providerUser,
    async authenticate(authorization) {
      if (!authorization) throw new NotAuthenticatedError();
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw new NotAuthenticatedError();
      const token = match[1]!;
      const claims = await claimsOf(token);
      if (!claims) {
        // Not one of ours: the OpenID provider's, if one is configured. HS256 is only ever ours.
        if (oidc && headerAlg(token) !== 'HS256') return providerUser(token);
        throw new InvalidCredentialsError();
      }
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
    forgetUser: users.forget,
  };
}
