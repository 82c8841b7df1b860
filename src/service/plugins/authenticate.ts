import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessMode } from '../../config/index.ts';
import type { Auth } from '../auth/service.ts';
import type { User } from '../users/repository.ts';
import { NotAuthenticatedError } from '../errors.ts';

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

/** For routes that answer about the signed-in person: refuses an anonymous read of `read_only` mode. */
export function requireSignedIn(request: FastifyRequest): void {
  if (request.anonymous) throw new NotAuthenticatedError();
}

/**
 * Makes every route registered in `scope` act as a user. `authenticated`: a valid bearer token
 * is required. `read_only`: reads without a token act anonymously, everything else needs a token.
 * `open`: no sign-in; every request acts as the local `admin` and any token is ignored, as the
 * Python service ignores tokens in that mode.
 * Routes are authenticated by default: only routes registered outside this scope are public.
 */
export function requireAuthentication(scope: FastifyInstance, auth: Auth, mode: AccessMode): void {
  scope.decorateRequest('user', null as unknown as User);
  scope.decorateRequest('anonymous', false);
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    if (mode === 'open') {
      request.user = await auth.localUser();
      return;
    }
    if (mode === 'read_only' && READS.has(request.method) && !request.headers.authorization) {
      request.user = await auth.localUser();
      request.anonymous = true;
      return;
    }
    request.user = await auth.authenticate(request.headers.authorization);
  });
}
