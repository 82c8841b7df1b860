import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form, type TestService } from '../helpers/service.ts';

const [target] = dbTargets();

describe('ACCESS_MODE=open', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService(target!, { ACCESS_MODE: 'open' });
  });
  after(() => svc.stop());

  it('acts as admin without a token, and ignores any token given', async () => {
    for (const authorization of [undefined, 'Bearer not-a-token']) {
      const res = await svc.app.inject({ url: '/user', headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().current_user, 'admin');
    }
  });

  it('lets state changes through without a token', async () => {
    const res = await svc.app.inject({ method: 'POST', url: '/create_user', ...form({ username: 'olive', password: 'olive-password' }) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().message, 'User with username "olive" created.');
  });

  it("refuses a change another site's page sends through the browser", async () => {
    const crossSite = { 'sec-fetch-site': 'cross-site' };
    const res = await svc.app.inject({ method: 'POST', url: '/users/olive/disable', headers: crossSite });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().detail, /another site/);
    assert.equal((await svc.app.inject({ url: '/user', headers: crossSite })).statusCode, 200, 'reads stay open');
    const sameOrigin = await svc.app.inject({ method: 'POST', url: '/users/olive/disable', headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(sameOrigin.statusCode, 200, sameOrigin.body);
  });
});

describe('ACCESS_MODE=read_only', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService(target!, { ACCESS_MODE: 'read_only' });
  });
  after(() => svc.stop());

  it('answers reads without a token', async () => {
    const res = await svc.app.inject({ url: '/runs' });
    assert.equal(res.statusCode, 200);
    const missing = await svc.app.inject({ url: '/status/no-such-run' });
    assert.equal(missing.statusCode, 404);
  });

  it('refuses state changes without a token, with WWW-Authenticate', async () => {
    const res = await svc.app.inject({ method: 'POST', url: '/submit', payload: { recipe_path: 'github://a:b@main/c' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    assert.equal(res.json().detail, 'Not authenticated');
  });

  it('does not say who an anonymous reader is, nor list users to it', async () => {
    for (const url of ['/user', '/users']) {
      const res = await svc.app.inject({ url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.json().detail, 'Not authenticated');
    }
  });

  it('still serves a signed-in user as themselves', async () => {
    const token = await svc.userToken('rita');
    const res = await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.json().current_user, 'rita');
  });
});
