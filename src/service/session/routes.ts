import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { createLoginLimits } from '../auth/login-limits.ts';
import { TooManyRequestsError } from '../errors.ts';
import { HttpError } from '../errors.ts';
import { credentialsFormSchema, detailSchema, type CredentialsForm } from '../routes/schemas.ts';
import { csrfTokenFor, endSession, sessionTokenOf, startSession } from './cookie.ts';
import { accessModeOf, signInInfo } from './sign-in.ts';

const signInSchema = {
  type: 'object',
  properties: { password: { type: 'boolean' }, oidc_login_url: { type: ['string', 'null'] } },
  required: ['password', 'oidc_login_url'],
} as const;

const sessionSchema = {
  type: 'object',
  properties: {
    current_user: { type: 'string' },
    is_admin: { type: 'boolean' },
    csrf_token: { type: 'string' },
    access_mode: { type: 'string' },
    sign_in: signInSchema,
  },
  required: ['current_user', 'is_admin', 'csrf_token', 'access_mode', 'sign_in'],
} as const;

const signedOutSchema = {
  type: 'object',
  properties: { detail: {}, access_mode: { type: 'string' }, sign_in: signInSchema },
  required: ['detail', 'sign_in'],
} as const;

/**
 * The browser's session (public routes: they are how one signs in). POST /session checks a
 * name and password as /token does, under the same limits, and sets an HttpOnly cookie;
 * GET /session says who is signed in and gives the CSRF token every cookie-authenticated
 * write must send (in `open` mode: always `admin`, with an empty token), or answers 401 with the
 * access mode and the ways to sign in; DELETE /session signs out.
 */
export async function sessionRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  // The same back-off as /token: one table, so a guesser gains nothing by switching routes.
  const limits = createLoginLimits(ctx.db, ctx.config.tokenRateLimit);
  const signedOut = (detail: string) => ({ detail, access_mode: accessModeOf(ctx), sign_in: signInInfo(ctx) });

  app.post<{ Body: CredentialsForm }>(
    '/session',
    {
      schema: {
        summary: 'Sign in this browser (sets the session cookie)',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: credentialsFormSchema,
        response: { 200: sessionSchema, 401: signedOutSchema, 429: detailSchema },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const verdict = await limits.check(username, request.ip);
      if (!verdict.allowed) throw new TooManyRequestsError(verdict.retryAfterSeconds);
      const token = await ctx.auth.login(username, password);
      if (!token) {
        await limits.failed(username, request.ip);
        return reply.code(401).send(signedOut('Incorrect username or password.'));
      }
      await limits.succeeded(username, request.ip);
      const user = await ctx.auth.authenticate(`Bearer ${token.access_token}`);
      const { csrfToken } = await startSession(reply, ctx, user);
      return {
        current_user: user.name,
        is_admin: user.isAdmin,
        csrf_token: csrfToken,
        access_mode: accessModeOf(ctx),
        sign_in: signInInfo(ctx),
      };
    },
  );

  app.get(
    '/session',
    { schema: { summary: 'Who this browser is signed in as, and its CSRF token', response: { 200: sessionSchema, 401: signedOutSchema } } },
    async (request, reply) => {
      if (accessModeOf(ctx) === 'open') {
        // No sign-in: every request acts as the local admin, and no write needs a CSRF token.
        const admin = await ctx.auth.localUser();
        return { current_user: admin.name, is_admin: true, csrf_token: '', access_mode: 'open', sign_in: signInInfo(ctx) };
      }
      const token = sessionTokenOf(request);
      if (!token) return reply.code(401).send(signedOut('Not signed in.'));
      let user;
      try {
        user = await ctx.auth.authenticate(`Bearer ${token}`);
      } catch (err) {
        if (!(err instanceof HttpError) || err.statusCode !== 401) throw err;
        endSession(reply, ctx);
        return reply.code(401).send(signedOut('The session has expired; sign in again.'));
      }
      return {
        current_user: user.name,
        is_admin: user.isAdmin,
        csrf_token: csrfTokenFor(ctx, token),
        access_mode: accessModeOf(ctx),
        sign_in: signInInfo(ctx),
      };
    },
  );

  // Public and without a CSRF check: it only removes this browser's own cookie, which SameSite=Strict keeps other sites from sending.
  app.delete('/session', { schema: { summary: 'Sign this browser out', response: { 204: { type: 'null' } } } }, async (_request, reply) => {
    endSession(reply, ctx);
    return reply.code(204).send();
  });
}
