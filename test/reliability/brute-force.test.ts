import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, TEST_ADMIN_PASSWORD, type TestService } from '../helpers/service.ts';
import { createRateLimiter } from '../../src/service/auth/rate-limit.ts';
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

function assertLimited(res: Awaited<ReturnType<typeof login>>): void {
  assert.equal(res.statusCode, 429);
  assert.deepEqual(res.json(), { detail: 'Too many login attempts; try again later.' });
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${res.headers['retry-after']}`);
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

    it('limits attempts per username, even from many addresses, and refuses the right password while limited', async () => {
      for (let i = 1; i <= 3; i++) assert.equal((await login(svc, 'victim', `guess-${i}`, `10.0.0.${i}`)).statusCode, 401);
      assertLimited(await login(svc, 'victim', 'guess-4', '10.0.0.4'));
      assertLimited(await login(svc, 'victim', 'victim-password', '10.0.0.5'));
      // Other accounts are unaffected.
      assert.equal((await login(svc, 'alice', 'alice-password', '10.0.0.6')).statusCode, 200);
    });

    it('limits attempts per client address across usernames, leaving other clients alone', async () => {
      for (let i = 1; i <= 5; i++) assert.equal((await login(svc, `sprayed-${i}`, 'password1', '10.9.9.9')).statusCode, 401);
      assertLimited(await login(svc, 'bob', 'bob-password', '10.9.9.9'));
      assert.equal((await login(svc, 'carol', 'carol-password', '10.9.9.10')).statusCode, 200);
    });

    it('ignores X-Forwarded-For unless proxies are trusted, so the limit cannot be dodged by a forged header', async () => {
      for (let i = 1; i <= 5; i++) {
        const res = await login(svc, `forger-${i}`, 'x', '10.7.7.7', { 'x-forwarded-for': `198.51.100.${i}` });
        assert.equal(res.statusCode, 401);
      }
      assertLimited(await login(svc, 'forger-6', 'x', '10.7.7.7', { 'x-forwarded-for': '198.51.100.6' }));
    });
  });
}

describe('/token behind a trusted proxy', () => {
  it('counts each forwarded client separately', async () => {
    const svc = await startTestService(dbTargets()[0]!, { ...LIMITS, OGDC_TRUST_PROXY: '10.0.0.0/8' });
    try {
      for (let i = 1; i <= 5; i++)
        assert.equal((await login(svc, `via-${i}`, 'x', '10.1.1.1', { 'x-forwarded-for': '203.0.113.1' })).statusCode, 401);
      assertLimited(await login(svc, 'via-6', 'x', '10.1.1.1', { 'x-forwarded-for': '203.0.113.1' }));
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

describe('the fixed-window rate limiter', () => {
  it('allows the limit, then answers the seconds until the window resets, then allows again', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter(2, 60_000, () => now);
    assert.equal(limiter.hit('k'), 0);
    assert.equal(limiter.hit('k'), 0);
    assert.equal(limiter.hit('k'), 60);
    now += 45_500;
    assert.equal(limiter.hit('k'), 15);
    assert.equal(limiter.hit('other'), 0);
    now += 15_000;
    assert.equal(limiter.hit('k'), 0);
  });
});
