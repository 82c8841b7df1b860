import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import type { User } from '../users/repository.ts';
import { createLoginLimits } from '../auth/login-limits.ts';
import { HttpError, TooManyRequestsError } from '../errors.ts';
import { credentialsFormSchema, detailSchema, Nullable, StringEnum } from '../routes/schemas.ts';
import { csrfTokenFor, endSession, sessionTokenOf, startSession } from './cookie.ts';
import { accessModeOf, SignedOutError, signInInfo } from './sign-in.ts';

const signInSchema = Type.Object({ password: Type.Boolean(), oidc_login_url: Nullable(Type.String()) });
const accessModeSchema = StringEnum(['authenticated', 'read_only', 'open']);

const sessionSchema = Type.Object({
  current_user: Type.String(),
  is_admin: Type.Boolean(),
  csrf_token: Type.String(),
  access_mode: accessModeSchema,
  sign_in: signInSchema,
});

/** The 401 of SignedOutError (`sign_in` is listed before the optional `access_mode` in the answer). */
const signedOutSchema = Type.Object({
  detail: Type.Unknown(),
  access_mode: Type.Optional(accessModeSchema),
  sign_in: signInSchema,
});

function sessionView(ctx: ServiceContext, user: Pick<User, 'name' | 'isAdmin'>, csrfToken: string) {
  return {
    current_user: user.name,
    is_admin: user.isAdmin,
    csrf_token: csrfToken,
    access_mode: accessModeOf(ctx),
    sign_in: signInInfo(ctx),
  };
}

/**
 * The browser's session (public routes: they are how one signs in). POST /session checks a
 * name and password as /token does, under the same limits, and sets an HttpOnly cookie;
 * GET /session says who is signed in and gives the CSRF token every cookie-authenticated
 * write must send (in `open` mode: always `admin`, with an empty token), or answers 401 with the
 * access mode and the ways to sign in; DELETE /session signs out.
 */
export async function sessionRoutes(plain: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  signInRoute(app, ctx);

  app.get(
    '/session',
    {
      schema: {
        summary: 'Who this browser is signed in as, and its CSRF token',
        response: { 200: sessionSchema, 401: signedOutSchema },
      },
    },
    async (request, reply) => {
      if (accessModeOf(ctx) === 'open') {
        // No sign-in: every request acts as the local admin, and no write needs a CSRF token.
        return sessionView(ctx, { name: (await ctx.auth.localUser()).name, isAdmin: true }, '');
      }
      const token = sessionTokenOf(request);
      if (!token) throw new SignedOutError('Not signed in.', ctx);
      let user;
      try {
        user = await ctx.auth.authenticate(`Bearer ${token}`);
      } catch (err) {
        if (!(err instanceof HttpError) || err.statusCode !== 401) throw err;
        endSession(reply, ctx);
        throw new SignedOutError('The session has expired; sign in again.', ctx);
      }
      return sessionView(ctx, user, csrfTokenFor(ctx, token));
    },
  );

  // Public and without a CSRF check: it only removes this browser's own cookie, which SameSite=Strict keeps other sites from sending.
  app.delete(
    '/session',
    { schema: { summary: 'Sign this browser out', response: { 204: Type.Null({ description: 'Signed out: the cookie is removed' }) } } },
    async (_request, reply) => {
      endSession(reply, ctx);
      return reply.code(204).send(null);
    },
  );
}

function signInRoute(app: FastifyInstance, ctx: ServiceContext): void {
  // The same back-off as /token: one table, so a guesser gains nothing by switching routes.
  const limits = createLoginLimits(ctx.db, ctx.config.tokenRateLimit);
  app.withTypeProvider<TypeBoxTypeProvider>().post(
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
        throw new SignedOutError('Incorrect username or password.', ctx);
      }
      await limits.succeeded(username, request.ip);
      const user = await ctx.auth.authenticate(`Bearer ${token.access_token}`);
      const { csrfToken } = await startSession(reply, ctx, user);
      return sessionView(ctx, user, csrfToken);
    },
  );
}
