import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EncryptJWT, jwtDecrypt } from 'jose';
import * as client from 'openid-client';
import type { ServiceContext } from '../context.ts';
import { BadRequestError, HttpError, NotFoundError } from '../errors.ts';
import { ProviderGrantError } from '../auth/oidc.ts';
import { detailSchema, redirectSchema } from './schemas.ts';
import { tokenAnswer, tokenAnswerSchema } from './refresh.ts';

/**
 * GET /login and GET /authorize (public): the OpenID Connect authorization-code flow with PKCE.
 * The state, the PKCE verifier and the `next` path live in an encrypted, HttpOnly cookie valid for
 * ten minutes and scoped to /authorize, so any replica can finish a sign-in another one started.
 */

const LOGIN_COOKIE = 'ogdc_oidc_login';
const LOGIN_TTL_SECONDS = 600;
// A path of this service's web page: starts with one "/", no scheme, no backslash, no control characters.
const NEXT_PATTERN = '^/(?![/\\\\])[\\x21-\\x7e]{0,1023}$';

const loginQuery = Type.Object({ next: Type.Optional(Type.String({ pattern: NEXT_PATTERN })) }, { additionalProperties: false });

const authorizeQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
});

interface LoginState {
  state: string;
  verifier: string;
  next: string | undefined;
}

/** What both routes share: the provider (or 404), the cookie's key and attributes. */
interface LoginFlow {
  ctx: ServiceContext;
  key: Uint8Array;
  provider(): NonNullable<ServiceContext['oidc']>;
  cookie(value: string, maxAge: number): string;
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

function loginFlow(ctx: ServiceContext): LoginFlow {
  const prefix = ctx.config.apiRootPath === '/' ? '' : ctx.config.apiRootPath;
  return {
    ctx,
    key: createHash('sha256').update(`ogdc-oidc-login-cookie:${ctx.secretKey}`).digest(),
    provider() {
      if (!ctx.oidc) throw new NotFoundError('OpenID Connect sign-in is not configured on this service (OIDC_CLIENT_SECRETS_FILE).');
      return ctx.oidc;
    },
    cookie(value, maxAge) {
      const secure = ctx.oidc?.redirectUri.startsWith('https:') ? '; Secure' : '';
      return `${LOGIN_COOKIE}=${value}; Path=${prefix}/authorize; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
    },
  };
}

export async function oidcLoginRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const flow = loginFlow(ctx);
  loginRoute(app, flow);
  authorizeRoute(app, flow);
}

function loginRoute(app: FastifyInstance, flow: LoginFlow): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/login',
    {
      schema: {
        summary: 'Sign in through the OpenID provider (redirects to it)',
        querystring: loginQuery,
        response: { 302: redirectSchema("To the OpenID provider's sign-in page"), 404: detailSchema, 503: detailSchema },
      },
    },
    async (request, reply) => {
      const oidc = flow.provider();
      const state = client.randomState();
      const verifier = client.randomPKCECodeVerifier();
      const url = await oidc.authorizationUrl({
        state,
        codeChallenge: await client.calculatePKCECodeChallenge(verifier),
        scope: ['openid', 'email', 'profile', flow.ctx.config.adminScope].join(' '),
      });
      const sealed = await new EncryptJWT({ state, verifier, next: request.query.next, nonce: randomBytes(8).toString('hex') })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setExpirationTime(`${LOGIN_TTL_SECONDS}s`)
        .encrypt(flow.key);
      return reply.header('set-cookie', flow.cookie(sealed, LOGIN_TTL_SECONDS)).header('cache-control', 'no-store').redirect(url.href, 302);
    },
  );
}

/** The sign-in the cookie of this request started; it is removed whatever happens next (one use). */
async function startedLogin(flow: LoginFlow, request: FastifyRequest, reply: { header(name: string, value: string): unknown }) {
  const sealed = cookieOf(request, LOGIN_COOKIE);
  if (!sealed) throw new BadRequestError('This sign-in was not started here or took longer than 10 minutes: start again at /login.');
  let login: LoginState;
  try {
    const { payload } = await jwtDecrypt(sealed, flow.key);
    login = payload as unknown as LoginState;
  } catch {
    throw new BadRequestError('The sign-in cookie is invalid or has expired: start again at /login.');
  }
  reply.header('set-cookie', flow.cookie('', 0));
  return login;
}

function authorizeRoute(app: FastifyInstance, flow: LoginFlow): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/authorize',
    {
      schema: {
        summary: "The OpenID provider's redirect: exchanges the code and answers the tokens",
        querystring: authorizeQuery,
        response: {
          200: tokenAnswerSchema,
          303: redirectSchema('To the web page the sign-in started from (`next`), signed in by the session cookie'),
          400: detailSchema,
          401: detailSchema,
          404: detailSchema,
          503: detailSchema,
        },
      },
    },
    async (request, reply) => {
      const oidc = flow.provider();
      reply.header('cache-control', 'no-store');
      const { error, error_description: description } = request.query;
      if (error) throw new HttpError(401, `The OpenID provider refused the sign-in: ${description ? `${error}: ${description}` : error}`);
      const login = await startedLogin(flow, request, reply);
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
      const user = await flow.ctx.auth.providerUser(tokens.access_token);
      if (login.next && flow.ctx.startBrowserSession) {
        await flow.ctx.startBrowserSession(request, reply, user, { accessToken: tokens.access_token, expiresIn: tokens.expires_in });
        return reply.redirect(login.next, 303);
      }
      return tokenAnswer('Success', tokens);
    },
  );
}
