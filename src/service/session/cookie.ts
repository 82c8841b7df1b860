import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import type { User } from '../users/repository.ts';
import { signToken } from '../auth/jwt.ts';
import { ACCESS_TOKEN_LIFETIME_SECONDS } from '../auth/service.ts';

const SESSION_COOKIE = 'ogdc_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The cookie holds a signed access token like the ones /token issues, so it is checked by
 * the same code (expiry, disabled users, password changes) and survives a restart. The CSRF
 * token is derived from it with the service key: the page learns it from GET /session (which
 * another site cannot read), and it changes with every session.
 */
export function csrfTokenFor(ctx: ServiceContext, sessionToken: string): string {
  return createHmac('sha256', ctx.secretKey).update(`csrf\0${sessionToken}`).digest('base64url');
}

export function csrfMatches(ctx: ServiceContext, sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(csrfTokenFor(ctx, sessionToken));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The cookie is scoped to the API root, so a service behind API_ROOT_PATH shares nothing with its neighbours. */
function cookiePath(ctx: ServiceContext): string {
  return ctx.config.apiRootPath;
}

function cookieOptions(ctx: ServiceContext, request: FastifyRequest) {
  // request.protocol follows X-Forwarded-Proto only when trustProxy says the proxy is trusted.
  return { httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https', path: cookiePath(ctx) };
}

/**
 * Signs `user` in on this browser: sets the session cookie and returns its CSRF token. A local
 * account's cookie holds a token signed here; after an OpenID sign-in (`provider`) it holds the
 * provider's access token, checked by the provider's keys on every request like a bearer token,
 * and lasting as long as that token.
 */
export async function startSession(
  reply: FastifyReply,
  ctx: ServiceContext,
  user: User,
  provider?: { accessToken: string; expiresIn?: number },
): Promise<{ csrfToken: string; expiresAt: Date }> {
  if (provider) {
    const maxAge = Math.max(1, Math.floor(provider.expiresIn ?? ACCESS_TOKEN_LIFETIME_SECONDS));
    reply.setCookie(SESSION_COOKIE, provider.accessToken, { ...cookieOptions(ctx, reply.request), maxAge });
    return { csrfToken: csrfTokenFor(ctx, provider.accessToken), expiresAt: new Date(Date.now() + maxAge * 1000) };
  }
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + ACCESS_TOKEN_LIFETIME_SECONDS;
  // The same claims as an access token: the user's id and token version, so revocation ends sessions too.
  const token = await signToken({ sub: user.name, iat, exp, uid: user.id, ver: user.tokenVersion }, ctx.secretKey);
  reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(ctx, reply.request), maxAge: ACCESS_TOKEN_LIFETIME_SECONDS });
  return { csrfToken: csrfTokenFor(ctx, token), expiresAt: new Date(exp * 1000) };
}

export function endSession(reply: FastifyReply, ctx: ServiceContext): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(ctx, reply.request));
}

export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return value ? value : undefined;
}
