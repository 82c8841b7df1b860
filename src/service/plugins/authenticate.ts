import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth } from '../auth/service.ts';
import type { User } from '../users/repository.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user; set on every route of the authenticated scope. */
    user: User;
  }
}

/**
 * Makes every route registered in `scope` require a valid bearer token.
 * Routes are authenticated by default: only routes registered outside this scope are public.
 */
export function requireAuthentication(scope: FastifyInstance, auth: Auth): void {
  scope.decorateRequest('user', null as unknown as User);
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    request.user = await auth.authenticate(request.headers.authorization);
  });
}
