import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET, type TestService } from '../helpers/service.ts';
import { signToken } from '../../src/service/auth/jwt.ts';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

for (const target of dbTargets()) {
  describe(`authentication and users on ${target.name}`, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService(target);
    });
    after(() => svc.stop());

    it('answers /version without a token', async () => {
      const res = await svc.app.inject({ url: '/version' });
      assert.equal(res.statusCode, 200);
      assert.match(res.json().ogdc_runner_version, /^\d+\.\d+\.\d+/);
    });

    it('issues a Bearer token whose expiry Python can parse and that lasts 30 minutes', async () => {
      const res = await svc.app.inject({
        method: 'POST',
        url: '/token',
        ...form({ username: 'admin', password: TEST_ADMIN_PASSWORD, grant_type: 'password', scope: '' }),
      });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.token_type, 'Bearer');
      assert.match(body.utc_expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      const [header, payload] = body.access_token.split('.');
      assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      assert.equal(claims.sub, 'admin');
      assert.equal(claims.exp - claims.iat, 1800);
      assert.equal(Date.parse(body.utc_expiration) / 1000, claims.exp);
    });

    it('refuses a wrong password and an unknown user with the same 401 message', async () => {
      for (const username of ['admin', 'nobody-here']) {
        const res = await svc.app.inject({ method: 'POST', url: '/token', ...form({ username, password: 'wrong' }) });
        assert.equal(res.statusCode, 401);
        assert.deepEqual(res.json(), { detail: 'Incorrect username or password.' });
      }
    });

    it('answers 422 naming each missing form field', async () => {
      const res = await svc.app.inject({ method: 'POST', url: '/token', ...form({ username: 'admin' }) });
      assert.equal(res.statusCode, 422);
      assert.deepEqual(
        res.json().detail.map((d: { loc: string[] }) => d.loc),
        [['body', 'password']],
      );
      assert.equal(res.json().detail[0].msg, 'Field required');
      const empty = await svc.app.inject({ method: 'POST', url: '/token' });
      assert.equal(empty.statusCode, 422);
      assert.deepEqual(
        empty
          .json()
          .detail.map((d: { loc: string[] }) => d.loc[1])
          .sort(),
        ['password', 'username'],
      );
    });

    it('says who the token belongs to on /user', async () => {
      const token = await svc.adminToken();
      const res = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().current_user, 'admin');
    });

    it('answers 401 Not authenticated with WWW-Authenticate when no token is sent', async () => {
      const res = await svc.app.inject({ url: '/user' });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(res.json(), { detail: 'Not authenticated' });
    });

    it('refuses malformed, tampered, expired, foreign-key and alg:none tokens', async () => {
      const now = Math.floor(Date.now() / 1000);
      const good = await svc.adminToken();
      const [h, p] = good.split('.');
      const tampered = `${h}.${b64({ sub: 'someone-else', iat: now, exp: now + 600 })}.${good.split('.')[2]}`;
      const expired = await signToken({ sub: 'admin', iat: now - 4000, exp: now - 10 }, TEST_JWT_SECRET);
      const otherKey = await signToken({ sub: 'admin', iat: now, exp: now + 600 }, 'another-key');
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`;
      const hs512Input = `${b64({ alg: 'HS512', typ: 'JWT' })}.${p}`;
      const hs512 = `${hs512Input}.${createHmac('sha512', TEST_JWT_SECRET).update(hs512Input).digest('base64url')}`;
      for (const token of ['garbage', 'a.b.c', tampered, expired, otherKey, none, hs512, `${good}x`]) {
        const res = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.statusCode, 401, token);
        assert.equal(res.headers['www-authenticate'], 'Bearer');
        assert.deepEqual(res.json(), { detail: 'Could not validate credentials.' });
      }
    });

    it('lets admin create a user who can then log in', async () => {
      const admin = await svc.adminToken();
      const res = await svc.app.inject({
        method: 'POST',
        url: '/create_user',
        ...form({ username: 'alice', password: 'alice-pw' }, admin),
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { message: 'User with username "alice" created.' });
      const alice = await svc.token('alice', 'alice-pw');
      const me = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${alice}` } });
      assert.equal(me.json().current_user, 'alice');
    });

    it('answers 409 for an existing user name', async () => {
      const admin = await svc.adminToken();
      await svc.app.inject({ method: 'POST', url: '/create_user', ...form({ username: 'dup', password: 'x' }, admin) });
      const res = await svc.app.inject({ method: 'POST', url: '/create_user', ...form({ username: 'dup', password: 'y' }, admin) });
      assert.equal(res.statusCode, 409);
      assert.deepEqual(res.json(), { detail: 'User with username dup already exists.' });
    });

    it('creates exactly one user when two requests race for a name', async () => {
      const admin = await svc.adminToken();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          svc.app.inject({ method: 'POST', url: '/create_user', ...form({ username: 'racer', password: `pw${i}` }, admin) }),
        ),
      );
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409, 409]);
      const rows = await svc.ctx.db.query<{ n: string | number }>("SELECT count(*) AS n FROM users WHERE name = 'racer'");
      assert.equal(Number(rows[0]!.n), 1);
    });

    it('answers 403 when a non-admin creates a user', async () => {
      const bob = await svc.userToken('bob');
      const res = await svc.app.inject({ method: 'POST', url: '/create_user', ...form({ username: 'carol', password: 'x' }, bob) });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), { detail: 'Access token must belong to admin.' });
    });

    it('requires a token for /create_user', async () => {
      const res = await svc.app.inject({ method: 'POST', url: '/create_user', ...form({ username: 'eve', password: 'x' }) });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { detail: 'Not authenticated' });
    });

    it('refuses the token of a user deleted from the database', async () => {
      const token = await svc.userToken('doomed');
      await svc.ctx.db.query("DELETE FROM users WHERE name = 'doomed'");
      svc.ctx.auth.forgetUser('doomed');
      const res = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { detail: 'Could not validate credentials.' });
    });

    it('serves the docs page and an OpenAPI document whose token URL is the token route', async () => {
      const docs = await svc.app.inject({ url: '/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.headers['content-type'] as string, /text\/html/);
      const spec = (await svc.app.inject({ url: '/openapi.json' })).json();
      assert.ok(spec.paths['/token'] && spec.paths['/user'] && spec.paths['/create_user']);
      assert.equal(spec.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/token');
    });
  });
}

describe('API_ROOT_PATH', () => {
  it('serves every route under the prefix (and without it) and advertises the prefixed token URL', async () => {
    const svc = await startTestService(dbTargets()[0]!, { API_ROOT_PATH: '/ogdc/api' });
    try {
      assert.equal((await svc.app.inject({ url: '/ogdc/api/version' })).statusCode, 200);
      assert.equal((await svc.app.inject({ url: '/version' })).statusCode, 200);
      const token = await svc.token('admin', TEST_ADMIN_PASSWORD);
      const me = await svc.app.inject({ url: '/ogdc/api/user', headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.json().current_user, 'admin');
      const spec = (await svc.app.inject({ url: '/ogdc/api/openapi.json' })).json();
      assert.equal(spec.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/ogdc/api/token');
    } finally {
      await svc.stop();
    }
  });
});
