import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider (`oidc-provider`, OpenID Certified) on 127.0.0.1 for tests: one
 * confidential client, scopes `openid profile email ogdc:admin`, RS256 JWT access tokens whose
 * audience is the client, refresh tokens, and login and consent steps answered over plain HTTP
 * (`/interaction/:uid` as JSON, `/interaction/:uid/login`, `/interaction/:uid/confirm`).
 * `mode` makes it misbehave: `down` drops every connection, `jwks-hang` never answers the JWKS,
 * `jwks-garbage` answers the JWKS with nonsense.
 */

export const TEST_CLIENT_ID = 'ogdc-test-client';
export const TEST_CLIENT_SECRET = 'ogdc-test-client-secret-0123456789abcdef';
/** Where the provider sends the browser back; the tests catch it and hand it to the service. */
export const TEST_REDIRECT_URI = 'http://127.0.0.1:9/authorize';
const ADMIN_SCOPE = 'ogdc:admin';

interface TestAccount {
  /** `preferred_username`; absent for an account that is named by `sub` only. */
  username?: string;
  /** Whether consent grants `ogdc:admin`. */
  admin: boolean;
}

type ProviderMode = 'ok' | 'down' | 'jwks-hang' | 'jwks-garbage';

export interface TestProvider {
  issuer: string;
  metadataUrl: string;
  /** The RS256 key the provider signs with (private), for tests that mint their own tokens. */
  signingKey: CryptoKey;
  kid: string;
  publicJwk: JWK;
  accounts: Record<string, TestAccount>;
  mode: ProviderMode;
  /** How many times the JWKS was fetched. */
  jwksFetches: number;
  /** Signs a JWT with the provider's key: the provider's claims unless overridden. */
  mint(claims: JWTPayload, header?: { alg?: string; kid?: string }): Promise<string>;
  close(): Promise<void>;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startTestProvider(accounts: Record<string, TestAccount>): Promise<TestProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-key-1';
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: [TEST_REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'] },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:ogdc:api',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: ADMIN_SCOPE,
          audience: TEST_CLIENT_ID,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, RefreshToken: 3600, IdToken: 600 },
    // Keycloak issues refresh tokens without offline_access; so does this provider.
    issueRefreshToken: () => true,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => {
      const username = token.accountId ? accounts[token.accountId]?.username : undefined;
      return username ? { preferred_username: username } : undefined;
    },
    findAccount: (_ctx: unknown, id: string) =>
      accounts[id]
        ? { accountId: id, claims: () => ({ sub: id, ...(accounts[id]!.username && { preferred_username: accounts[id]!.username }) }) }
        : undefined,
  });
  const callback = provider.callback();

  const state: TestProvider = {
    issuer,
    metadataUrl: `${issuer}/.well-known/openid-configuration`,
    signingKey: privateKey as CryptoKey,
    kid,
    publicJwk,
    accounts,
    mode: 'ok',
    jwksFetches: 0,
    mint(claims, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: TEST_CLIENT_ID, sub: 'alice', iat: now, exp: now + 600, client_id: TEST_CLIENT_ID, ...claims })
        .setProtectedHeader({ alg: header.alg ?? 'RS256', kid: header.kid ?? kid, typ: 'at+jwt' })
        .sign(privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function interaction(req: http.IncomingMessage, res: http.ServerResponse, action: string | undefined): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (!action) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ uid: details.uid, prompt: details.prompt.name }));
      return;
    }
    const fields = await readForm(req);
    if (action === 'login') {
      const accountId = fields.get('login') ?? '';
      if (!accounts[accountId]) {
        res.statusCode = 400;
        res.end('unknown account');
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
      return;
    }
    // Consent: grants what was asked, except ogdc:admin to accounts that are not admins.
    const accountId = details.session!.accountId;
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      const allowed = scopes.filter((s) => s !== ADMIN_SCOPE || accounts[accountId]!.admin);
      if (allowed.length > 0) grant.addResourceScope(resource, allowed.join(' '));
      if (allowed.length < scopes.length) grant.rejectResourceScope(resource, ADMIN_SCOPE);
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (state.mode === 'down') {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/jwks') {
      state.jwksFetches += 1;
      if (state.mode === 'jwks-hang') return;
      if (state.mode === 'jwks-garbage') {
        res.setHeader('content-type', 'application/json');
        res.end('{"keys": "not a list"}');
        return;
      }
    }
    const match = /^\/interaction\/([^/]+)(?:\/(login|confirm))?$/.exec(url.pathname);
    if (match) {
      interaction(req, res, match[2]).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    callback(req, res);
  });
  return state;
}

/** A cookie jar that sends every cookie it holds, enough for one provider on loopback. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Plays the browser from the provider's authorization URL: follows redirects, signs in as
 * `accountId` and consents, and stops at the redirect to TEST_REDIRECT_URI, which it returns.
 */
export async function signInAtProvider(authorizationUrl: string, accountId: string, jar = new CookieJar()): Promise<URL> {
  let url = authorizationUrl;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop += 1) {
    if (url.startsWith(TEST_REDIRECT_URI)) return new URL(url);
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }) },
      body,
    });
    jar.take(res);
    method = 'GET';
    body = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).href;
      continue;
    }
    if (res.status === 200 && /\/interaction\/[^/]+$/.test(new URL(url).pathname)) {
      const { prompt } = (await res.json()) as { prompt: string };
      url = `${url}/${prompt === 'login' ? 'login' : 'confirm'}`;
      method = 'POST';
      body = prompt === 'login' ? new URLSearchParams({ login: accountId }).toString() : '';
      continue;
    }
    throw new Error(`the provider answered ${res.status} at ${url}: ${await res.text()}`);
  }
  throw new Error('too many redirects at the provider');
}
