import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import type { User } from '../users/repository.ts';
import { ForbiddenError, NotAuthenticatedError } from '../errors.ts';
import { CSRF_HEADER, csrfMatches, sessionTokenOf } from '../session/cookie.ts';
import { detailSchema } from '../routes/schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user the request acts as; set on every route of the authenticated scope. */
    user: User;
    /**
     * True for a read without a token in `read_only` mode: it acts as `admin` to see every run,
     * and routes about a person (`/user`, the user list) refuse it with `requireSignedIn`.
     */
    anonymous: boolean;
  }
}

const READS = new Set(['GET', 'HEAD']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** For routes that answer about the signed-in person: refuses an anonymous read of `read_only` mode. */
export function requireSignedIn(request: FastifyRequest): void {
  if (request.anonymous) throw new NotAuthenticatedError();
}

/**
 * A route's `preHandler` for admin-only routes: a signed-in admin, or 401 (anonymous read) / 403.
 * It runs after the request's schema validation, so a malformed request still gets its 422.
 */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  requireSignedIn(request);
  if (!request.user.isAdmin) throw new ForbiddenError('Access token must belong to admin.');
}

/**
 * Makes every route registered in `scope` act as a user. `authenticated`: a valid bearer token
 * or session cookie is required. `read_only`: reads without a token act anonymously, everything else needs a token.
 * `open`: no sign-in; every request acts as the local `admin` and any token is ignored, as the
 * Python service ignores tokens in that mode.
 * Routes are authenticated by default: only routes registered outside this scope are public.
 * A browser sends the cookie on its own, so a write authenticated by it must also carry the
 * session's CSRF token, which only a page of this origin can have read from GET /session.
 */
export function requireAuthentication(scope: FastifyInstance, ctx: ServiceContext): void {
  const { auth } = ctx;
  const mode = ctx.config.accessMode;
  listAuthenticationErrors(scope);
  scope.decorateRequest('user', null as unknown as User);
  scope.decorateRequest('anonymous', false);
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    if (mode === 'open') {
      // No credentials to forge here, but another site's page open in the same browser could still
      // post a form to the laptop's service: a browser marks such requests, and they are refused.
      if (!SAFE_METHODS.has(request.method) && request.headers['sec-fetch-site'] === 'cross-site') {
        throw new ForbiddenError('A change from another site is refused (Sec-Fetch-Site: cross-site).');
      }
      request.user = await auth.localUser();
      return;
    }
    if (mode === 'read_only' && READS.has(request.method) && !request.headers.authorization && !sessionTokenOf(request)) {
      request.user = await auth.localUser();
      request.anonymous = true;
      return;
    }
    const session = request.headers.authorization ? undefined : sessionTokenOf(request);
    if (!session) {
      request.user = await auth.authenticate(request.headers.authorization);
      return;
    }
    request.user = await auth.authenticate(`Bearer ${session}`);
    if (!SAFE_METHODS.has(request.method)) {
      const given = request.headers[CSRF_HEADER];
      if (!csrfMatches(ctx, session, typeof given === 'string' ? given : undefined)) {
        throw new ForbiddenError(
          'A request authenticated by the session cookie must send the X-CSRF-Token header that GET /session gives.',
        );
      }
    }
  });
}

/**
 * Lists in the schema (and /openapi.json) of every route of `scope` the answers authentication may give before its
 * handler runs: 401, and for a write 403 (a cookie without the CSRF token, or another site's change in `open` mode).
 */
function listAuthenticationErrors(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {});
    const response = (schema.response ?? {}) as Record<string, unknown>;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const writes = methods.some((m) => !SAFE_METHODS.has(m));
    schema.response = { 401: detailSchema, ...(writes && { 403: detailSchema }), ...response };
  });
}
