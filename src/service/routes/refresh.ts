import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { ACCESS_TOKEN_LIFETIME_SECONDS, InvalidRefreshTokenError } from '../auth/service.ts';
import { detailSchema, messageSchema, Nullable } from './schemas.ts';

/** `refresh_token` as a form field or a JSON member (the v0.4 CLI posts JSON). */
const refreshBody = Type.Object({
  refresh_token: Type.String({ minLength: 1, maxLength: 16384 }),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});

/** The v0.4 token answer: what `ogdc-runner set-token --json-str` reads. */
export const tokenAnswerSchema = Type.Object({
  message: Type.String(),
  token: Type.Object({
    access_token: Type.String(),
    refresh_token: Nullable(Type.String()),
    token_type: Type.Literal('Bearer'),
    expires_in: Nullable(Type.Integer()),
  }),
});

export function tokenAnswer(
  message: string,
  tokens: { access_token: string; refresh_token?: string | undefined; expires_in?: number | undefined },
): Static<typeof tokenAnswerSchema> {
  return {
    message,
    token: {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token ?? null,
      token_type: 'Bearer',
      expires_in: tokens.expires_in ?? null,
    },
  };
}

/**
 * POST /refresh (public): fresh tokens for a refresh token, of a local account (rotated: the old
 * one ends) or of the OpenID provider (forwarded to its token endpoint).
 * POST /logout (public): ends a refresh token (its whole sign-in, for a local account).
 */
export async function refreshRoutes(plain: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const consumes = ['application/json', 'application/x-www-form-urlencoded'];
  app.post(
    '/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for fresh tokens',
        consumes,
        body: refreshBody,
        response: { 200: tokenAnswerSchema, 401: detailSchema, 503: detailSchema },
      },
    },
    async (request) => {
      const { refresh_token: refreshToken } = request.body;
      if (ctx.auth.isLocalRefreshToken(refreshToken) || !ctx.oidc) {
        const issued = await ctx.auth.refreshLocal(refreshToken);
        return tokenAnswer('Token refresh successful', { ...issued, expires_in: ACCESS_TOKEN_LIFETIME_SECONDS });
      }
      const tokens = await ctx.oidc.refresh(refreshToken);
      return tokenAnswer('Token refresh successful', tokens);
    },
  );

  app.post(
    '/logout',
    {
      schema: {
        summary: 'Revoke a refresh token',
        consumes,
        body: refreshBody,
        response: { 200: messageSchema, 401: detailSchema, 503: detailSchema },
      },
    },
    async (request) => {
      const { refresh_token: refreshToken } = request.body;
      if (ctx.auth.isLocalRefreshToken(refreshToken) || !ctx.oidc) {
        if (!(await ctx.auth.logoutLocal(refreshToken))) throw new InvalidRefreshTokenError('it is not known');
      } else {
        await ctx.oidc.revoke(refreshToken);
      }
      return { message: 'Signed out: the refresh token is revoked.' };
    },
  );
}
