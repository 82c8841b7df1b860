import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import type { User } from '../users/repository.ts';
import { ForbiddenError } from '../errors.ts';
import { CSRF_HEADER, csrfMatches, sessionTokenOf } from '../session/cookie.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user; set on every route of the authenticated scope. */
    user: User;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Makes every route registered in `scope` require a valid bearer token or session cookie.
 * Routes are authenticated by default: only routes registered outside this scope are public.
 * A browser sends the cookie on its own, so a write authenticated by it must also carry the
 * session's CSRF token, which only a page of this origin can have read from GET /session.
 */
export function requireAuthentication(scope: FastifyInstance, ctx: ServiceContext): void {
  scope.decorateRequest('user', null as unknown as User);
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    const session = request.headers.authorization ? undefined : sessionTokenOf(request);
    if (!session) {
      request.user = await ctx.auth.authenticate(request.headers.authorization);
      return;
    }
    request.user = await ctx.auth.authenticate(`Bearer ${session}`);
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
