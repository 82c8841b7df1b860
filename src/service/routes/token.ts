import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { countLoginAttempt } from '../auth/login-limits.ts';
import { HttpError } from '../errors.ts';
import { credentialsFormSchema, detailSchema, type CredentialsForm } from './schemas.ts';

/** POST /token (public): the OAuth2 password flow. Rate-limited per client and per username. */
export async function tokenRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.post<{ Body: CredentialsForm }>(
    '/token',
    {
      schema: {
        summary: 'Exchange a username and password for an access token',
        consumes: ['application/x-www-form-urlencoded'],
        body: credentialsFormSchema,
        response: {
          200: {
            type: 'object',
            properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, utc_expiration: { type: 'string' } },
            required: ['access_token', 'token_type', 'utc_expiration'],
          },
          401: detailSchema,
          429: detailSchema,
        },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      countLoginAttempt(ctx, request.ip, username);
      const token = await ctx.auth.login(username, password);
      if (!token) throw new HttpError(401, 'Incorrect username or password.');
      return token;
    },
  );
}
