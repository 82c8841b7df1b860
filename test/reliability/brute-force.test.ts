import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, TEST_ADMIN_PASSWORD, type TestService } from '../helpers/service.ts';
import { loadConfig } from '../../src/config/index.ts';

const LIMITS = {
  OGDC_TOKEN_RATE_LIMIT_PER_CLIENT: '5',
  OGDC_TOKEN_RATE_LIMIT_PER_USERNAME: '3',
  OGDC_TOKEN_RATE_LIMIT_WINDOW_SECONDS: '60',
};

function login(svc: TestService, username: string, password: string, from: string, headers: Record<string, string> = {}) {
  return svc.app.inject({
    method: 'POST',
    url: '/token',
    remoteAddress: from,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ username, password }).toString(),
  });
}

function assertLimited(res: Awaited<ReturnType<typeof login>>, atMost = 60): number {
  assert.equal(res.statusCode, 429);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= atMost, `Retry-After: ${res.headers['retry-after']}`);
  assert.deepEqual(res.json(), {
    detail: `Too many failed logins from this client or for this user name; try again in ${retryAfter} seconds.`,
  });
  return retryAfter;
}

for (const target of dbTargets()) {
  describe(`/token brute force on ${target.name}`, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService(target, LIMITS);
      const admin = await svc.adminToken();
      // Created without logging in as them, so no attempt is counted against their names yet.
      for (const name of ['victim', 'alice', 'bob', 'carol']) {
        const created = await svc.app.inject({
          method: 'POST',
          url: '/create_user',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${admin}` },
          payload: new URLSearchParams({ username: name, password: `${name}-password` }).toString(),
        });
        assert.equal(created.statusCode, 200);
      }
    });
    after(() => svc.stop());

    it('backs off a guessed user name for failing clients, yet lets the right password in from a clean client', async () => {
      for (let i = 1; i <= 4; i++) assert.equal((await login(svc, 'victim', `guess-${i}`, `10.0.0.${i}`)).statusCode, 401);
      // Four failures, three free: the name is in back-off for clients that have been failing.
      assertLimited(await login(svc, 'victim', 'guess-5', '10.0.0.1'));
      assertLimited(await login(svc, 'victim', 'victim-password', '10.0.0.2'));
      // A client that has not been failing is never refused the right password, which clears the count.
      assert.equal((await login(svc, 'victim', 'victim-password', '10.0.0.50')).statusCode, 200);
      assert.equal((await login(svc, 'alice', 'alice-password', '10.0.0.6')).statusCode, 200);
    });

    it('doubles the back-off with each further failure', async () => {
      for (let i = 1; i <= 4; i++) assert.equal((await login(svc, 'carol', `guess-${i}`, `10.3.0.${i}`)).statusCode, 401);
      const first = assertLimited(await login(svc, 'carol', 'x', '10.3.0.1'));
      assert.equal((await login(svc, 'carol', 'guess-5', '10.3.0.5')).statusCode, 401);
      const second = assertLimited(await login(svc, 'carol', 'x', '10.3.0.1'), 120);
      assert.ok(second > first, `${second} > ${first}`);
    });

    it('never counts successful logins', async () => {
      for (let i = 0; i < 15; i++) assert.equal((await login(svc, 'bob', 'bob-password', '10.4.4.4')).statusCode, 200);
    });

    it('backs off a client that fails across user names, leaving other clients alone', async () => {
      for (let i = 1; i <= 6; i++) assert.equal((await login(svc, `sprayed-${i}`, 'password1', '10.9.9.9')).statusCode, 401);
      assertLimited(await login(svc, 'bob', 'bob-password', '10.9.9.9'));
      assert.equal((await login(svc, 'bob', 'bob-password', '10.9.9.10')).statusCode, 200);
    });

    it('ignores X-Forwarded-For unless proxies are trusted, so the limit cannot be dodged by a forged header', async () => {
      for (let i = 1; i <= 6; i++) {
        const res = await login(svc, `forger-${i}`, 'x', '10.7.7.7', { 'x-forwarded-for': `198.51.100.${i}` });
        assert.equal(res.statusCode, 401);
      }
      assertLimited(await login(svc, 'forger-7', 'x', '10.7.7.7', { 'x-forwarded-for': '198.51.100.7' }));
    });
  });
}

describe('/token behind a trusted proxy', () => {
  it('counts each forwarded client separately', async () => {
    const svc = await startTestService(dbTargets()[0]!, { ...LIMITS, OGDC_TRUST_PROXY: '10.0.0.0/8' });
    try {
      for (let i = 1; i <= 6; i++)
        assert.equal((await login(svc, `via-${i}`, 'x', '10.1.1.1', { 'x-forwarded-for': '203.0.113.1' })).statusCode, 401);
      assertLimited(await login(svc, 'via-7', 'x', '10.1.1.1', { 'x-forwarded-for': '203.0.113.1' }));
      // Same proxy, another client behind it.
      assert.equal((await login(svc, 'admin', TEST_ADMIN_PASSWORD, '10.1.1.1', { 'x-forwarded-for': '203.0.113.2' })).statusCode, 200);
    } finally {
      await svc.stop();
    }
  });
});

describe('OGDC_TRUST_PROXY', () => {
  it('reads true, a hop count or CIDRs, and refuses anything else naming the variable', () => {
    assert.equal(loadConfig({ OGDC_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ OGDC_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(loadConfig({ OGDC_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8, 127.0.0.1');
    assert.equal(loadConfig({}).trustProxy, false);
    assert.throws(() => loadConfig({ OGDC_TRUST_PROXY: 'yes please' }), /^ConfigError: OGDC_TRUST_PROXY must be true, false, a hop count/);
  });
});

describe('login limits shared by replicas', () => {
  const pg = dbTargets().find((t) => t.name === 'postgres');
  it('a back-off recorded by one replica holds on another', { skip: pg ? false : 'needs OGDC_TEST_PG_URL' }, async () => {
    const a = await startTestService(pg!, LIMITS);
    const b = await startTestService(pg!, LIMITS, { dbConfig: a.config.db });
    try {
      for (let i = 1; i <= 6; i++) assert.equal((await login(a, `spray-${i}`, 'x', '10.5.5.5')).statusCode, 401);
      assertLimited(await login(b, 'admin', TEST_ADMIN_PASSWORD, '10.5.5.5'));
      assert.equal((await login(b, 'admin', TEST_ADMIN_PASSWORD, '10.5.5.6')).statusCode, 200);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
