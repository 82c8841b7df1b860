import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, TEST_ADMIN_PASSWORD, type TestService } from '../helpers/service.ts';
import { withRootPath } from '../../src/service/app.ts';
import { createEngine } from '../../src/engine/create.ts';

describe('API_ROOT_PATH both ways', () => {
  let svc: TestService;
  let token: string;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!, { API_ROOT_PATH: '/ogdc/api' }, { createEngine });
    token = await svc.token('admin', TEST_ADMIN_PASSWORD);
  });
  after(() => svc.stop());

  it('answers every route with and without the prefix, as an ingress that strips it sends them', async () => {
    const auth = { authorization: `Bearer ${token}` };
    for (const url of ['/ogdc/api/user', '/user']) {
      const res = await svc.app.inject({ url, headers: auth });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.json().current_user, 'admin');
    }
    for (const url of ['/ogdc/api/token', '/token']) {
      const res = await svc.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username: 'admin', password: TEST_ADMIN_PASSWORD }).toString(),
      });
      assert.equal(res.statusCode, 200, url);
    }
    // Still authenticated both ways, and unknown routes are 404 both ways.
    assert.equal((await svc.app.inject({ url: '/user' })).statusCode, 401);
    assert.equal((await svc.app.inject({ url: '/ogdc/api/nope' })).statusCode, 404);
    assert.equal((await svc.app.inject({ url: '/nope' })).statusCode, 404);
    // A path that only begins with the prefix's letters is not under it.
    assert.equal((await svc.app.inject({ url: '/ogdc/apiversion' })).statusCode, 404);
  });

  it('puts the prefix into the OpenAPI document whichever way it is fetched', async () => {
    for (const url of ['/ogdc/api/openapi.json', '/openapi.json']) {
      const spec = (await svc.app.inject({ url })).json();
      assert.equal(spec.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/ogdc/api/token');
      const paths = Object.keys(spec.paths);
      assert.ok(paths.includes('/ogdc/api/submit'), paths.join(' '));
      assert.ok(
        paths.every((p) => p.startsWith('/ogdc/api/')),
        paths.join(' '),
      );
    }
  });

  it('hands out download links under the prefix that work with and without it', async () => {
    const name = 'prefixed-output-run-a1';
    await svc.ctx.db.query(
      `INSERT INTO recipe_runs (user_id, recipe_path, recipe_id, recipe_name, workflow_name, engine, output_type, phase)
       SELECT id, '/r', 'prefixed', 'Prefixed', $1, 'local', 'temporary', 'Succeeded' FROM users WHERE name = 'admin'`,
      [name],
    );
    for (const url of [`/ogdc/api/output/${name}`, `/output/${name}`]) {
      const res = await svc.app.inject({ url, headers: { authorization: `Bearer ${token}`, host: 'ogdc.example.org' } });
      assert.equal(res.statusCode, 200, res.body);
      const link = new URL(res.json().data_url);
      assert.equal(link.host, 'ogdc.example.org');
      assert.equal(link.pathname, `/ogdc/api/outputs/${name}/prefixed.zip`);
      // The signature is accepted both ways: the zip was never written, so the answer is "not found", not "forbidden".
      for (const path of [link.pathname, link.pathname.slice('/ogdc/api'.length)]) {
        const download = await svc.app.inject({ url: `${path}${link.search}` });
        assert.equal(download.statusCode, 404, `${path}: ${download.body}`);
        const forged = await svc.app.inject({ url: `${path}?expires=9999999999&signature=x` });
        assert.equal(forged.statusCode, 403, path);
      }
    }
  });

  it('leaves URLs already under the prefix alone', () => {
    assert.equal(withRootPath('/ogdc/api', '/ogdc/api'), '/ogdc/api');
    assert.equal(withRootPath('/ogdc/api?x=1', '/ogdc/api'), '/ogdc/api?x=1');
    assert.equal(withRootPath('/ogdc/api/user', '/ogdc/api'), '/ogdc/api/user');
    assert.equal(withRootPath('/user?a=b', '/ogdc/api'), '/ogdc/api/user?a=b');
    assert.equal(withRootPath('/ogdc/apix', '/ogdc/api'), '/ogdc/api/ogdc/apix');
  });
});
