import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { createLoginLimits } from '../auth/login-limits.ts';
import { HttpError, TooManyRequestsError } from '../errors.ts';
import { credentialsFormSchema, detailSchema } from './schemas.ts';

const tokenSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  utc_expiration: Type.String(),
  refresh_token: Type.String(),
});

/** POST /token (public): the OAuth2 password flow; also answers a refresh token for POST /refresh. Failed logins back off per client and per user name (login-limits.ts). */
export async function tokenRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const limits = createLoginLimits(ctx.db, ctx.config.tokenRateLimit);

  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/token',
    {
      schema: {
        summary: 'Exchange a username and password for an access token',
        consumes: ['application/x-www-form-urlencoded'],
        body: credentialsFormSchema,
        response: { 200: tokenSchema, 401: detailSchema, 429: detailSchema },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const verdict = await limits.check(username, request.ip);
      if (!verdict.allowed) throw new TooManyRequestsError(verdict.retryAfterSeconds);
      const token = await ctx.auth.login(username, password);
      if (!token) {
        await limits.failed(username, request.ip);
        throw new HttpError(401, 'Incorrect username or password.');
      }
      await limits.succeeded(username, request.ip);
      return token;
    },
  );
}
