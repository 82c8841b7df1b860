import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt } from 'jose';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form, TEST_JWT_SECRET, type TestService } from '../helpers/service.ts';

const key = new TextEncoder().encode(TEST_JWT_SECRET);

/** What the Python service mints with the same secret: `sub` = name and `exp`, no `iat`. */
function pythonToken(name: string, expInSeconds = 1800): Promise<string> {
  return new SignJWT({ sub: name, exp: Math.floor(Date.now() / 1000) + expInSeconds })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(key);
}

for (const target of dbTargets()) {
  describe(`token revocation on ${target.name}`, () => {
    let svc: TestService;
    let admin: string;
    before(async () => {
      svc = await startTestService(target);
      admin = await svc.adminToken();
    });
    after(() => svc.stop());

    const whoami = async (token: string) => {
      const res = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
      return res.statusCode === 200 ? (res.json().current_user as string) : res.statusCode;
    };
    const adminPost = (url: string) => svc.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${admin}` } });

    it('names the user id and token version in the token', async () => {
      const token = await svc.userToken('ida');
      const claims = decodeJwt(token);
      const row = await svc.ctx.db.query<{ id: string | number }>("SELECT id FROM users WHERE name = 'ida'");
      assert.equal(claims.sub, 'ida');
      assert.equal(claims.uid, Number(row[0]!.id));
      assert.equal(claims.ver, 0);
    });

    it('ends earlier tokens on a password change, within the same second', async () => {
      const old = await svc.userToken('pat', 'pat-password-1');
      const res = await svc.app.inject({
        method: 'PUT',
        url: '/user/password',
        ...form({ current_password: 'pat-password-1', new_password: 'pat-password-2' }, old),
      });
      assert.equal(res.statusCode, 200);
      assert.equal(await whoami(old), 401);
      const fresh = await svc.token('pat', 'pat-password-2');
      assert.equal(await whoami(fresh), 'pat');
    });

    it('ends tokens on disable, and enabling does not revive them', async () => {
      const old = await svc.userToken('dora');
      assert.equal((await adminPost('/users/dora/disable')).statusCode, 200);
      assert.equal(await whoami(old), 401);
      assert.equal((await adminPost('/users/dora/enable')).statusCode, 200);
      assert.equal(await whoami(old), 401);
      assert.equal(await whoami(await svc.token('dora', 'dora-password')), 'dora');
    });

    it('does not let a deleted and recreated name inherit tokens', async () => {
      const old = await svc.userToken('rex');
      const del = await svc.app.inject({ method: 'DELETE', url: '/users/rex', headers: { authorization: `Bearer ${admin}` } });
      assert.equal(del.statusCode, 200);
      const fresh = await svc.userToken('rex');
      assert.equal(await whoami(old), 401);
      assert.equal(await whoami(fresh), 'rex');
    });

    it("accepts the Python service's tokens while the user exists and never changed its password", async () => {
      await svc.userToken('py', 'py-password-1');
      const token = await pythonToken('py');
      assert.equal(await whoami(token), 'py');
      assert.equal(await whoami(await pythonToken('nobody')), 401);
      assert.equal(await whoami(await pythonToken('py', -5)), 401);
      const mine = await svc.token('py', 'py-password-1');
      await svc.app.inject({
        method: 'PUT',
        url: '/user/password',
        ...form({ current_password: 'py-password-1', new_password: 'py-password-2' }, mine),
      });
      assert.equal(await whoami(token), 401);
      assert.equal(await whoami(await pythonToken('py')), 401);
    });

    it('refuses a Python token for a disabled user even after it is enabled again', async () => {
      await svc.userToken('pyd');
      const token = await pythonToken('pyd');
      await adminPost('/users/pyd/disable');
      await adminPost('/users/pyd/enable');
      assert.equal(await whoami(token), 401);
    });
  });
}
