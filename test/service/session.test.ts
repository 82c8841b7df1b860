import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form, TEST_ADMIN_PASSWORD, type TestService } from '../helpers/service.ts';

function sessionCookie(setCookie: string | string[] | undefined): { value: string; attributes: string } {
  const line = [setCookie ?? []].flat().find((c) => c.startsWith('ogdc_session='));
  assert.ok(line, 'a session cookie is set');
  return { value: line.split(';')[0]!.slice('ogdc_session='.length), attributes: line };
}

for (const target of dbTargets()) {
  describe(`browser sessions on ${target.name}`, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService(target);
      await svc.userToken('alice');
    });
    after(() => svc.stop());

    async function signIn(username: string, password: string, headers: Record<string, string> = {}) {
      const res = await svc.app.inject({
        method: 'POST',
        url: '/session',
        headers: { 'content-type': 'application/json', ...headers },
        payload: { username, password },
      });
      assert.equal(res.statusCode, 200, res.body);
      return { res, cookie: sessionCookie(res.headers['set-cookie']), csrf: res.json().csrf_token as string };
    }

    it('signs in with a form or JSON and sets an HttpOnly, SameSite=Strict cookie on the API root', async () => {
      const res = await svc.app.inject({ method: 'POST', url: '/session', ...form({ username: 'admin', password: TEST_ADMIN_PASSWORD }) });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.current_user, 'admin');
      assert.equal(body.is_admin, true);
      assert.equal(body.access_mode, 'authenticated');
      assert.deepEqual(body.sign_in, { password: true, oidc_login_url: null });
      const { attributes } = sessionCookie(res.headers['set-cookie']);
      assert.match(attributes, /HttpOnly/);
      assert.match(attributes, /SameSite=Strict/);
      assert.match(attributes, /Path=\/(;|$)/);
      assert.doesNotMatch(attributes, /Secure/);
      const json = await signIn('alice', 'alice-password');
      assert.equal(json.res.json().is_admin, false);
    });

    it('marks the cookie Secure behind a TLS proxy only when the proxy is trusted', async () => {
      const untrusted = await signIn('alice', 'alice-password', { 'x-forwarded-proto': 'https' });
      assert.doesNotMatch(untrusted.cookie.attributes, /Secure/);
      const trusted = await startTestService(target, { OGDC_TRUST_PROXY: 'true' });
      try {
        const res = await trusted.app.inject({
          method: 'POST',
          url: '/session',
          headers: { 'x-forwarded-proto': 'https' },
          payload: { username: 'admin', password: TEST_ADMIN_PASSWORD },
        });
        assert.match(sessionCookie(res.headers['set-cookie']).attributes, /Secure/);
      } finally {
        await trusted.stop();
      }
    });

    it('refuses a wrong password with 401 and the ways to sign in', async () => {
      const res = await svc.app.inject({ method: 'POST', url: '/session', ...form({ username: 'alice', password: 'wrong' }) });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().detail, 'Incorrect username or password.');
      assert.equal(res.json().sign_in.password, true);
      assert.equal(res.headers['set-cookie'], undefined);
    });

    it('answers GET /session with the user and CSRF token, or 401 with how to sign in', async () => {
      const { cookie, csrf } = await signIn('alice', 'alice-password');
      const res = await svc.app.inject({ url: '/session', headers: { cookie: `ogdc_session=${cookie.value}` } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().current_user, 'alice');
      assert.equal(res.json().csrf_token, csrf);
      const none = await svc.app.inject({ url: '/session' });
      assert.equal(none.statusCode, 401);
      assert.deepEqual(none.json().sign_in, { password: true, oidc_login_url: null });
      const forged = await svc.app.inject({ url: '/session', headers: { cookie: 'ogdc_session=not.a.token' } });
      assert.equal(forged.statusCode, 401);
      assert.match(forged.json().detail, /expired/);
    });

    it('authenticates reads by the cookie and requires X-CSRF-Token on writes', async () => {
      const { cookie, csrf } = await signIn('alice', 'alice-password');
      const headers = { cookie: `ogdc_session=${cookie.value}` };
      const user = await svc.app.inject({ url: '/user', headers });
      assert.equal(user.json().current_user, 'alice');
      const payload = { recipe_path: '/nowhere' };
      const bare = await svc.app.inject({ method: 'POST', url: '/submit', headers, payload });
      assert.equal(bare.statusCode, 403);
      assert.match(bare.json().detail, /X-CSRF-Token/);
      const wrong = await svc.app.inject({ method: 'POST', url: '/submit', headers: { ...headers, 'x-csrf-token': `${csrf}x` }, payload });
      assert.equal(wrong.statusCode, 403);
      const right = await svc.app.inject({ method: 'POST', url: '/submit', headers: { ...headers, 'x-csrf-token': csrf }, payload });
      assert.notEqual(right.statusCode, 403);
      assert.notEqual(right.statusCode, 401);
      // Another session's token is no good: each session has its own.
      const other = await signIn('admin', TEST_ADMIN_PASSWORD);
      const crossed = await svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: { ...headers, 'x-csrf-token': other.csrf },
        payload,
      });
      assert.equal(crossed.statusCode, 403);
    });

    it('needs no CSRF token for bearer requests', async () => {
      const token = await svc.token('alice', 'alice-password');
      const res = await svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: { authorization: `Bearer ${token}` },
        payload: { recipe_path: '/nowhere' },
      });
      assert.notEqual(res.statusCode, 403);
    });

    it('ends the session when the user is disabled, and on DELETE /session', async () => {
      await svc.userToken('bob');
      const { cookie } = await signIn('bob', 'bob-password');
      const headers = { cookie: `ogdc_session=${cookie.value}` };
      const out = await svc.app.inject({ method: 'DELETE', url: '/session', headers });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers['set-cookie']), /ogdc_session=;.*Expires=Thu, 01 Jan 1970/);
      const admin = await svc.adminToken();
      const disabled = await svc.app.inject({ method: 'POST', url: '/users/bob/disable', headers: { authorization: `Bearer ${admin}` } });
      assert.equal(disabled.statusCode, 200, disabled.body);
      const after = await svc.app.inject({ url: '/user', headers });
      assert.equal(after.statusCode, 401);
    });

    it('shares the login back-off with /token', async () => {
      const limited = await startTestService(target, { OGDC_TOKEN_RATE_LIMIT_PER_USERNAME: '2' });
      try {
        const attempt = (url: string, password: string, remoteAddress: string) =>
          limited.app.inject({ method: 'POST', url, remoteAddress, ...form({ username: 'admin', password }) });
        // Three failures for one name, split between the two routes: past the two free ones.
        assert.equal((await attempt('/token', 'x', '10.0.0.1')).statusCode, 401);
        assert.equal((await attempt('/session', 'x', '10.0.0.1')).statusCode, 401);
        assert.equal((await attempt('/token', 'x', '10.0.0.1')).statusCode, 401);
        const blocked = await attempt('/session', TEST_ADMIN_PASSWORD, '10.0.0.1');
        assert.equal(blocked.statusCode, 429);
        assert.equal(blocked.headers['set-cookie'], undefined);
        // A clean client with the right password still gets in: guesses never lock out the user.
        assert.equal((await attempt('/session', TEST_ADMIN_PASSWORD, '10.0.0.2')).statusCode, 200);
      } finally {
        await limited.stop();
      }
    });

    it('tells the page the access mode and the ways to sign in', async () => {
      const open = await startTestService(target, { ACCESS_MODE: 'open' });
      try {
        const res = await open.app.inject({ url: '/session' });
        assert.equal(res.statusCode, 200);
        assert.equal(res.json().current_user, 'admin');
        assert.equal(res.json().access_mode, 'open');
      } finally {
        await open.stop();
      }
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-oidc-'));
      const secrets = path.join(dir, 'client_secrets.json');
      await writeFile(
        secrets,
        JSON.stringify({
          server_metadata_url: 'http://127.0.0.1:9/.well-known/openid-configuration',
          client_id: 'ogdc',
          client_secret: 'a-secret',
          redirect_uris: ['http://127.0.0.1:8000/authorize'],
        }),
      );
      const readOnly = await startTestService(target, {
        ACCESS_MODE: 'read_only',
        OIDC_CLIENT_SECRETS_FILE: secrets,
        API_ROOT_PATH: '/ogdc',
      });
      try {
        const res = await readOnly.app.inject({ url: '/ogdc/session' });
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().access_mode, 'read_only');
        assert.deepEqual(res.json().sign_in, { password: true, oidc_login_url: '/ogdc/login' });
        assert.doesNotMatch(res.body, /a-secret/);
      } finally {
        await readOnly.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('scopes the cookie to API_ROOT_PATH', async () => {
      const rooted = await startTestService(target, { API_ROOT_PATH: '/ogdc' });
      try {
        const res = await rooted.app.inject({
          method: 'POST',
          url: '/ogdc/session',
          ...form({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
        });
        assert.match(sessionCookie(res.headers['set-cookie']).attributes, /Path=\/ogdc(;|$)/);
      } finally {
        await rooted.stop();
      }
    });
  });
}
