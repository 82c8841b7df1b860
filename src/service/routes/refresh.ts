import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { ACCESS_TOKEN_LIFETIME_SECONDS, InvalidRefreshTokenError } from '../auth/service.ts';
import { detailSchema } from './schemas.ts';

/** `refresh_token` as a form field or a JSON member (the v0.4 CLI posts JSON). */
const refreshBody = {
  type: 'object',
  required: ['refresh_token'],
  properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 16384 }, scope: { type: 'string', maxLength: 1024 } },
} as const;

/** The v0.4 token answer: what `ogdc-runner set-token --json-str` reads. */
export const tokenAnswerSchema = {
  type: 'object',
  properties: {
    message: { type: 'string' },
    token: {
      type: 'object',
      properties: {
        access_token: { type: 'string' },
        refresh_token: { type: ['string', 'null'] },
        token_type: { type: 'string' },
        expires_in: { type: ['integer', 'null'] },
      },
      required: ['access_token', 'refresh_token'],
    },
  },
  required: ['message', 'token'],
} as const;

export interface TokenAnswer {
  message: string;
  token: { access_token: string; refresh_token: string | null; token_type: 'Bearer'; expires_in: number | null };
}

export function tokenAnswer(
  message: string,
  tokens: { access_token: string; refresh_token?: string | undefined; expires_in?: number | undefined },
): TokenAnswer {
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
export async function refreshRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.post<{ Body: { refresh_token: string } }>(
    '/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for fresh tokens',
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
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

  app.post<{ Body: { refresh_token: string } }>(
    '/logout',
    {
      schema: {
        summary: 'Revoke a refresh token',
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        body: refreshBody,
        response: {
          200: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
          401: detailSchema,
          503: detailSchema,
        },
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
