import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EncryptJWT, jwtDecrypt } from 'jose';
import * as client from 'openid-client';
import type { ServiceContext } from '../context.ts';
import { BadRequestError, HttpError, NotFoundError } from '../errors.ts';
import { ProviderGrantError } from '../auth/oidc.ts';
import { detailSchema } from './schemas.ts';
import { tokenAnswer, tokenAnswerSchema } from './refresh.ts';

/**
 * GET /login and GET /authorize (public): the OpenID Connect authorization-code flow with PKCE.
 * The state, the PKCE verifier and the `next` path live in an encrypted, HttpOnly cookie valid for
 * ten minutes and scoped to /authorize, so any replica can finish a sign-in another one started.
 */

export const LOGIN_COOKIE = 'ogdc_oidc_login';
const LOGIN_TTL_SECONDS = 600;
// A path of this service's web page: starts with one "/", no scheme, no backslash, no control characters.
const NEXT_PATTERN = '^/(?![/\\\\])[\\x21-\\x7e]{0,1023}$';

interface LoginState {
  state: string;
  verifier: string;
  next: string | undefined;
}

function cookieKey(secret: string): Uint8Array {
  return createHash('sha256').update(`ogdc-oidc-login-cookie:${secret}`).digest();
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export async function oidcLoginRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const prefix = ctx.config.apiRootPath === '/' ? '' : ctx.config.apiRootPath;
  const key = cookieKey(ctx.secretKey);

  function oidcOrNotFound() {
    if (!ctx.oidc) throw new NotFoundError('OpenID Connect sign-in is not configured on this service (OIDC_CLIENT_SECRETS_FILE).');
    return ctx.oidc;
  }

  function cookieAttributes(maxAge: number): string {
    const secure = ctx.oidc?.redirectUri.startsWith('https:') ? '; Secure' : '';
    return `Path=${prefix}/authorize; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
  }

  app.get<{ Querystring: { next?: string } }>(
    '/login',
    {
      schema: {
        summary: 'Sign in through the OpenID provider (redirects to it)',
        querystring: { type: 'object', properties: { next: { type: 'string', pattern: NEXT_PATTERN } }, additionalProperties: false },
        response: { 404: detailSchema, 503: detailSchema },
      },
    },
    async (request, reply) => {
      const oidc = oidcOrNotFound();
      const state = client.randomState();
      const verifier = client.randomPKCECodeVerifier();
      const url = await oidc.authorizationUrl({
        state,
        codeChallenge: await client.calculatePKCECodeChallenge(verifier),
        scope: ['openid', 'email', 'profile', ctx.config.adminScope].join(' '),
      });
      const sealed = await new EncryptJWT({ state, verifier, next: request.query.next, nonce: randomBytes(8).toString('hex') })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setExpirationTime(`${LOGIN_TTL_SECONDS}s`)
        .encrypt(key);
      return reply
        .header('set-cookie', `${LOGIN_COOKIE}=${sealed}; ${cookieAttributes(LOGIN_TTL_SECONDS)}`)
        .header('cache-control', 'no-store')
        .redirect(url.href, 302);
    },
  );

  app.get<{ Querystring: { code?: string; state?: string; error?: string; error_description?: string } }>(
    '/authorize',
    {
      schema: {
        summary: "The OpenID provider's redirect: exchanges the code and answers the tokens",
        querystring: {
          type: 'object',
          properties: {
            code: { type: 'string', maxLength: 4096 },
            state: { type: 'string', maxLength: 512 },
            error: { type: 'string', maxLength: 256 },
            error_description: { type: 'string', maxLength: 2048 },
          },
        },
        response: { 200: tokenAnswerSchema, 400: detailSchema, 401: detailSchema, 404: detailSchema, 503: detailSchema },
      },
    },
    async (request, reply) => {
      const oidc = oidcOrNotFound();
      reply.header('cache-control', 'no-store');
      const { error, error_description: description } = request.query;
      if (error) throw new HttpError(401, `The OpenID provider refused the sign-in: ${description ? `${error}: ${description}` : error}`);
      const sealed = cookieOf(request, LOGIN_COOKIE);
      if (!sealed) throw new BadRequestError('This sign-in was not started here or took longer than 10 minutes: start again at /login.');
      let login: LoginState;
      try {
        const { payload } = await jwtDecrypt(sealed, key);
        login = payload as unknown as LoginState;
      } catch {
        throw new BadRequestError('The sign-in cookie is invalid or has expired: start again at /login.');
      }
      // One use: the cookie goes whatever happens next.
      reply.header('set-cookie', `${LOGIN_COOKIE}=; ${cookieAttributes(0)}`);
      if (!request.query.code) throw new BadRequestError('The redirect carries no "code": start again at /login.');
      if (request.query.state !== login.state)
        throw new BadRequestError('The "state" of the redirect does not match this sign-in: start again at /login.');
      const callback = new URL(oidc.redirectUri);
      callback.search = new URL(request.url, 'http://x').search;
      let tokens;
      try {
        tokens = await oidc.exchangeCode(callback, { state: login.state, codeVerifier: login.verifier });
      } catch (err) {
        if (err instanceof ProviderGrantError) throw new HttpError(401, `The OpenID provider refused the code: ${err.message}`);
        throw err;
      }
      // Verifies the access token as every later request will, and records the user on first sight.
      const user = await ctx.auth.providerUser(tokens.access_token);
      if (login.next && ctx.startBrowserSession) {
        await ctx.startBrowserSession(request, reply, user, { accessToken: tokens.access_token, expiresIn: tokens.expires_in });
        return reply.redirect(login.next, 303);
      }
      return tokenAnswer('Success', tokens);
    },
  );
}
