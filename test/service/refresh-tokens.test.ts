import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form, type TestService } from '../helpers/service.ts';

for (const target of dbTargets()) {
  describe(`refresh tokens of local accounts on ${target.name}`, () => {
    let svc: TestService;
    let admin: string;
    before(async () => {
      svc = await startTestService(target, { OGDC_REFRESH_TOKEN_LIFETIME_SECONDS: '3600' });
      admin = await svc.adminToken();
    });
    after(() => svc.stop());

    const login = async (username: string, password = `${username}-password`) => {
      const res = await svc.app.inject({ method: 'POST', url: '/token', ...form({ username, password }) });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { access_token: string; token_type: string; utc_expiration: string; refresh_token: string };
    };
    const createUser = async (username: string) => {
      const res = await svc.app.inject({
        method: 'POST',
        url: '/create_user',
        ...form({ username, password: `${username}-password` }, admin),
      });
      assert.equal(res.statusCode, 200, res.body);
    };
    const refreshJson = (refreshToken: string) =>
      svc.app.inject({
        method: 'POST',
        url: '/refresh',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ refresh_token: refreshToken }),
      });
    const whoami = async (token: string) => {
      const res = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
      return res.statusCode === 200 ? (res.json().current_user as string) : res.statusCode;
    };

    it('answers a refresh token from /token beside the v0.3 fields, with an exp the configured lifetime away', async () => {
      await createUser('rhea');
      const body = await login('rhea');
      assert.equal(body.token_type, 'Bearer');
      assert.equal(typeof body.access_token, 'string');
      const claims = decodeJwt(body.refresh_token);
      assert.equal(claims.token_use, 'refresh');
      assert.equal(claims.sub, 'rhea');
      assert.ok(Math.abs(claims.exp! - claims.iat! - 3600) <= 1);
      const rows = await svc.ctx.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens');
      assert.ok(
        rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash) && r.token_hash !== body.refresh_token),
        'only hashes are stored',
      );
    });

    it('refreshes by JSON and by form in the v0.4 shape, rotating the token', async () => {
      await createUser('rory');
      const first = await login('rory');
      const res = await refreshJson(first.refresh_token);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.message, 'Token refresh successful');
      assert.equal(await whoami(body.token.access_token), 'rory');
      assert.notEqual(body.token.refresh_token, first.refresh_token);
      const byForm = await svc.app.inject({ method: 'POST', url: '/refresh', ...form({ refresh_token: body.token.refresh_token }) });
      assert.equal(byForm.statusCode, 200, byForm.body);
      assert.equal(await whoami(byForm.json().token.access_token), 'rory');
    });

    it('refuses a used refresh token and then ends every token of that sign-in', async () => {
      await createUser('ursa');
      const first = await login('ursa');
      const second = (await refreshJson(first.refresh_token)).json().token.refresh_token as string;
      const replay = await refreshJson(first.refresh_token);
      assert.equal(replay.statusCode, 401);
      assert.match(replay.json().detail, /used before/);
      assert.ok(replay.headers['www-authenticate']);
      const after = await refreshJson(second);
      assert.equal(after.statusCode, 401);
      assert.match(after.json().detail, /revoked/);
      // Another sign-in of the same user is not affected.
      const other = await login('ursa');
      assert.equal((await refreshJson(other.refresh_token)).statusCode, 200);
    });

    it('ends refresh tokens on a password change and on disable', async () => {
      await createUser('pia');
      const before = await login('pia');
      const change = await svc.app.inject({
        method: 'PUT',
        url: '/user/password',
        ...form({ current_password: 'pia-password', new_password: 'pia-password-2' }, before.access_token),
      });
      assert.equal(change.statusCode, 200, change.body);
      const res = await refreshJson(before.refresh_token);
      assert.equal(res.statusCode, 401);
      assert.match(res.json().detail, /password or status changed/);

      await createUser('dan');
      const dan = await login('dan');
      assert.equal(
        (await svc.app.inject({ method: 'POST', url: '/users/dan/disable', headers: { authorization: `Bearer ${admin}` } })).statusCode,
        200,
      );
      assert.equal((await refreshJson(dan.refresh_token)).statusCode, 401);
      assert.equal(
        (await svc.app.inject({ method: 'POST', url: '/users/dan/enable', headers: { authorization: `Bearer ${admin}` } })).statusCode,
        200,
      );
      assert.equal((await refreshJson(dan.refresh_token)).statusCode, 401, 'enabling does not revive it');
    });

    it('revokes on /logout', async () => {
      await createUser('lou');
      const t = await login('lou');
      const out = await svc.app.inject({ method: 'POST', url: '/logout', ...form({ refresh_token: t.refresh_token }) });
      assert.equal(out.statusCode, 200, out.body);
      const res = await refreshJson(t.refresh_token);
      assert.equal(res.statusCode, 401);
      assert.match(res.json().detail, /revoked/);
    });

    it('never takes a refresh token as an access token, nor an access token as a refresh token', async () => {
      await createUser('ned');
      const t = await login('ned');
      assert.equal(await whoami(t.refresh_token), 401);
      const res = await refreshJson(t.access_token);
      assert.equal(res.statusCode, 401);
      assert.match(res.json().detail, /Invalid refresh token/);
    });

    it('answers 422 naming the field when refresh_token is missing, and 401 for garbage', async () => {
      const missing = await refreshJson('');
      assert.equal(missing.statusCode, 422);
      assert.deepEqual(missing.json().detail[0].loc, ['body', 'refresh_token']);
      const none = await svc.app.inject({ method: 'POST', url: '/refresh' });
      assert.equal(none.statusCode, 422);
      const garbage = await refreshJson('not-a-token');
      assert.equal(garbage.statusCode, 401);
    });

    it('says in /user that a local account is local', async () => {
      const res = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${admin}` } });
      assert.deepEqual(res.json(), { current_user: 'admin', source: 'local', issuer: null, is_admin: true });
    });
  });
}
