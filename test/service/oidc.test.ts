import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form, type TestService } from '../helpers/service.ts';
import {
  startTestProvider,
  signInAtProvider,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TEST_REDIRECT_URI,
  type TestProvider,
} from '../helpers/oidc-provider.ts';

const accounts = {
  alice: { username: 'alice', admin: true },
  carol: { username: 'carol', admin: false },
  'sub-7f3a': { admin: false },
};

let provider: TestProvider;
let dir: string;
let secretsFile: string;

before(async () => {
  provider = await startTestProvider(accounts);
  dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-oidc-'));
  secretsFile = path.join(dir, 'client_secrets.json');
  await writeFile(
    secretsFile,
    JSON.stringify({
      server_metadata_url: provider.metadataUrl,
      client_id: TEST_CLIENT_ID,
      client_secret: TEST_CLIENT_SECRET,
      redirect_uris: [TEST_REDIRECT_URI],
    }),
  );
});
after(async () => {
  await provider.close();
  await rm(dir, { recursive: true, force: true });
});

function setCookieOf(res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie'];
  const lines = Array.isArray(raw) ? (raw as string[]) : [String(raw)];
  return lines.map((l) => l.split(';')[0]).join('; ');
}

/** /login → the provider's login and consent → /authorize, as a browser would; answers the /authorize response. */
async function signIn(svc: TestService, account: string, next?: string) {
  const login = await svc.app.inject({ url: next ? `/login?next=${encodeURIComponent(next)}` : '/login' });
  assert.equal(login.statusCode, 302, login.body);
  const authorizationUrl = String(login.headers.location);
  assert.ok(authorizationUrl.startsWith(provider.issuer));
  const params = new URL(authorizationUrl).searchParams;
  assert.equal(params.get('code_challenge_method'), 'S256');
  assert.ok(params.get('state'));
  const callback = await signInAtProvider(authorizationUrl, account);
  return svc.app.inject({ url: `/authorize${callback.search}`, headers: { cookie: setCookieOf(login) } });
}

async function tokensOf(svc: TestService, account: string) {
  const res = await signIn(svc, account);
  assert.equal(res.statusCode, 200, res.body);
  return res.json().token as { access_token: string; refresh_token: string };
}

const whoami = (svc: TestService, token: string) => svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });

for (const target of dbTargets()) {
  describe(`OpenID Connect beside local accounts on ${target.name}`, () => {
    let svc: TestService;
    let alice: { access_token: string; refresh_token: string };
    before(async () => {
      svc = await startTestService(target, { OIDC_CLIENT_SECRETS_FILE: secretsFile });
    });
    after(() => svc.stop());

    it('signs in by code flow with PKCE and answers the tokens as set-token takes them', async () => {
      const res = await signIn(svc, 'alice');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.message, 'Success');
      assert.equal(typeof body.token.access_token, 'string');
      assert.equal(typeof body.token.refresh_token, 'string');
      assert.match(String(res.headers['set-cookie']), /ogdc_oidc_login=;.*Max-Age=0/, 'the login cookie is cleared');
      alice = body.token;
      const me = await whoami(svc, alice.access_token);
      assert.deepEqual(me.json(), { current_user: 'alice', source: 'oidc', issuer: provider.issuer, is_admin: true });
    });

    it('makes a user admin only when the token has the ogdc:admin scope', async () => {
      const carol = await tokensOf(svc, 'carol');
      const me = await whoami(svc, carol.access_token);
      assert.equal(me.json().is_admin, false);
      const list = await svc.app.inject({ url: '/users', headers: { authorization: `Bearer ${carol.access_token}` } });
      assert.equal(list.statusCode, 403);
      const asAlice = await svc.app.inject({ url: '/users', headers: { authorization: `Bearer ${alice.access_token}` } });
      assert.equal(asAlice.statusCode, 200);
    });

    it('names a user without preferred_username by sub', async () => {
      const t = await tokensOf(svc, 'sub-7f3a');
      assert.equal((await whoami(svc, t.access_token)).json().current_user, 'sub-7f3a');
    });

    it('keeps a local account and a provider user of the same name apart', async () => {
      const admin = await svc.adminToken();
      const created = await svc.app.inject({
        method: 'POST',
        url: '/create_user',
        ...form({ username: 'alice', password: 'local-alice-pw' }, admin),
      });
      assert.equal(created.statusCode, 200, created.body);
      const local = await svc.token('alice', 'local-alice-pw');
      assert.deepEqual((await whoami(svc, local)).json(), { current_user: 'alice', source: 'local', issuer: null, is_admin: false });
      assert.equal((await whoami(svc, alice.access_token)).json().source, 'oidc');
      const rows = await svc.ctx.db.query<{ id: string; issuer: string | null }>(
        "SELECT id, issuer FROM users WHERE name = 'alice' ORDER BY id",
      );
      assert.equal(rows.length, 2);
      assert.deepEqual(rows.map((r) => r.issuer).sort(), [provider.issuer, null].sort());
      // The provider user has no password: /token never signs it in.
      const res = await svc.app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: '!' }) });
      assert.equal(res.statusCode, 401);
    });

    it('keeps local HS256 tokens working beside the provider', async () => {
      const me = await whoami(svc, await svc.adminToken());
      assert.deepEqual(me.json(), { current_user: 'admin', source: 'local', issuer: null, is_admin: true });
    });

    it('refreshes provider tokens through the provider', async () => {
      const res = await svc.app.inject({
        method: 'POST',
        url: '/refresh',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ refresh_token: alice.refresh_token }),
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().message, 'Token refresh successful');
      const fresh = res.json().token;
      assert.notEqual(fresh.access_token, alice.access_token);
      assert.equal((await whoami(svc, fresh.access_token)).json().current_user, 'alice');
      const bad = await svc.app.inject({ method: 'POST', url: '/refresh', ...form({ refresh_token: 'no-such-refresh-token' }) });
      assert.equal(bad.statusCode, 401);
      assert.match(bad.json().detail, /invalid_grant/);
    });

    it("ends a sign-in begun by the web page with the page's session cookie", async () => {
      const res = await signIn(svc, 'carol', '/ui/#/runs/some-run');
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, '/ui/#/runs/some-run');
      const line = [res.headers['set-cookie'] ?? []].flat().find((c) => String(c).startsWith('ogdc_session='));
      assert.ok(line, 'the session cookie is set');
      assert.match(String(line), /HttpOnly/);
      assert.match(String(line), /SameSite=Strict/);
      const session = await svc.app.inject({ url: '/session', headers: { cookie: String(line).split(';')[0]! } });
      assert.equal(session.statusCode, 200, session.body);
      assert.equal(session.json().current_user, 'carol');
      assert.ok(session.json().csrf_token);
    });

    it('starts a browser session through the hook and redirects to next', async () => {
      const seen: string[] = [];
      svc.ctx.startBrowserSession = async (_request, reply, user) => {
        seen.push(user.name);
        reply.header('set-cookie', 'ogdc_session=test; Path=/; HttpOnly');
      };
      try {
        const res = await signIn(svc, 'carol', '/ui/runs?page=2');
        assert.equal(res.statusCode, 303, res.body);
        assert.equal(res.headers.location, '/ui/runs?page=2');
        assert.deepEqual(seen, ['carol']);
        assert.match(String(res.headers['set-cookie']), /ogdc_session=test/);
      } finally {
        delete svc.ctx.startBrowserSession;
      }
    });

    it('refuses a next that leaves the service, and an /authorize without its sign-in', async () => {
      const evil = await svc.app.inject({ url: `/login?next=${encodeURIComponent('//evil.example/x')}` });
      assert.equal(evil.statusCode, 422);
      assert.deepEqual(evil.json().detail[0].loc, ['query', 'next']);
      const noCookie = await svc.app.inject({ url: '/authorize?code=x&state=y' });
      assert.equal(noCookie.statusCode, 400);
      assert.match(noCookie.json().detail, /start again at \/login/);
      const login = await svc.app.inject({ url: '/login' });
      const wrongState = await svc.app.inject({ url: '/authorize?code=x&state=forged', headers: { cookie: setCookieOf(login) } });
      assert.equal(wrongState.statusCode, 400);
      assert.match(wrongState.json().detail, /state/);
      const denied = await svc.app.inject({
        url: '/authorize?error=access_denied&error_description=no',
        headers: { cookie: setCookieOf(login) },
      });
      assert.equal(denied.statusCode, 401);
      assert.match(denied.json().detail, /access_denied/);
    });

    describe('refuses bad provider tokens with 401, WWW-Authenticate and a detail', () => {
      const now = () => Math.floor(Date.now() / 1000);
      const refused = async (token: string, detail: RegExp) => {
        const res = await whoami(svc, token);
        assert.equal(res.statusCode, 401, res.body);
        assert.ok(res.headers['www-authenticate'], 'WWW-Authenticate is set');
        assert.match(res.json().detail, detail);
      };

      it('accepts a token it signed itself with the right claims (control)', async () => {
        assert.equal((await whoami(svc, await provider.mint({ sub: 'alice', preferred_username: 'alice' }))).statusCode, 200);
      });
      it('another audience', async () => refused(await provider.mint({ aud: 'someone-else' }), /another audience/));
      it('another audience even when azp names someone else too', async () =>
        refused(await provider.mint({ aud: 'x', azp: 'y' }), /another audience/));
      it('accepts azp = the client when aud is another', async () => {
        assert.equal((await whoami(svc, await provider.mint({ aud: 'account', azp: TEST_CLIENT_ID }))).statusCode, 200);
      });
      it('another issuer', async () => refused(await provider.mint({ iss: 'http://127.0.0.1:1' }), /another issuer/));
      it('expired', async () => refused(await provider.mint({ iat: now() - 7200, exp: now() - 3600 }), /expired/));
      it('not yet valid', async () => refused(await provider.mint({ nbf: now() + 3600 }), /not valid yet/));
      it('alg none', async () =>
        refused(new UnsecuredJWT({ iss: provider.issuer, aud: TEST_CLIENT_ID, sub: 'alice', exp: now() + 600 }).encode(), /credentials/));
      it('HS256 signed with the provider public key', async () => {
        const asSecret = new TextEncoder().encode(JSON.stringify(provider.publicJwk));
        const token = await new SignJWT({ iss: provider.issuer, aud: TEST_CLIENT_ID, sub: 'alice' })
          .setProtectedHeader({ alg: 'HS256', kid: provider.kid })
          .setExpirationTime('10m')
          .sign(asSecret);
        await refused(token, /credentials/);
      });
      it('signed by another key under the same kid', async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const token = await new SignJWT({ iss: provider.issuer, aud: TEST_CLIENT_ID, sub: 'alice' })
          .setProtectedHeader({ alg: 'RS256', kid: provider.kid })
          .setExpirationTime('10m')
          .sign(privateKey);
        await refused(token, /signature/);
      });
      it('unknown kids, refetching the JWKS at most once a minute', async () => {
        const before = provider.jwksFetches;
        for (let i = 0; i < 5; i += 1) await refused(await provider.mint({}, { kid: `unknown-${i}` }), /kid/);
        assert.ok(provider.jwksFetches - before <= 1, `the JWKS was fetched ${provider.jwksFetches - before} times for 5 unknown kids`);
      });
      it('garbage', async () => refused('not.a.jwt', /credentials/));
    });

    it('keeps verified tokens working while the provider is down; refresh says it is down', async () => {
      provider.mode = 'down';
      try {
        assert.equal((await whoami(svc, alice.access_token)).statusCode, 200);
        const res = await svc.app.inject({ method: 'POST', url: '/refresh', ...form({ refresh_token: alice.refresh_token }) });
        assert.equal(res.statusCode, 503, res.body);
        assert.match(res.json().detail, new RegExp(`OpenID provider at ${provider.metadataUrl}.*unavailable`));
      } finally {
        provider.mode = 'ok';
      }
    });
  });
}

describe('a provider that is down or answers garbage', () => {
  const target = dbTargets()[0]!;

  it('answers /login with 503 naming the provider', async () => {
    const svc = await startTestService(target, { OIDC_CLIENT_SECRETS_FILE: secretsFile });
    provider.mode = 'down';
    try {
      const res = await svc.app.inject({ url: '/login' });
      assert.equal(res.statusCode, 503, res.body);
      assert.match(res.json().detail, new RegExp(`The OpenID provider at ${provider.metadataUrl} is unavailable`));
      // Discovery is retried: once the provider is back, sign-in works.
      provider.mode = 'ok';
      assert.equal((await svc.app.inject({ url: '/login' })).statusCode, 302);
    } finally {
      provider.mode = 'ok';
      await svc.stop();
    }
  });

  for (const mode of ['jwks-garbage', 'jwks-hang'] as const) {
    it(`refuses bearer tokens with 401, not 5xx, when the JWKS is ${mode === 'jwks-hang' ? 'hanging' : 'garbage'}`, async () => {
      const svc = await startTestService(target, { OIDC_CLIENT_SECRETS_FILE: secretsFile });
      try {
        assert.equal((await svc.app.inject({ url: '/login' })).statusCode, 302, 'discovery done');
        provider.mode = mode;
        const res = await whoami(svc, await provider.mint({}));
        assert.equal(res.statusCode, 401, res.body);
        assert.ok(res.headers['www-authenticate']);
        assert.match(res.json().detail, /key set/);
      } finally {
        provider.mode = 'ok';
        await svc.stop();
      }
    });
  }
});
