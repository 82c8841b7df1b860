import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, TEST_ADMIN_PASSWORD, type TestService } from '../helpers/service.ts';
import { runCli } from '../helpers/cli.ts';

describe('ogdc-runner create-user against a running service', () => {
  let svc: TestService;
  let url: string;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!);
    url = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => svc.stop());

  it('creates a user with admin credentials', async () => {
    const res = await runCli(['create-user', 'newbie', 'newbie-pw'], {
      OGDC_API_URL: url,
      OGDC_API_USERNAME: 'admin',
      OGDC_API_PASSWORD: TEST_ADMIN_PASSWORD,
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'User with username "newbie" created.\n');
    assert.ok(await svc.token('newbie', 'newbie-pw'));
  });

  it('accepts the password under OGDC_API_password as the published docs spell it', async () => {
    const res = await runCli(['create-user', 'docs-user', 'pw'], {
      OGDC_API_URL: url,
      OGDC_API_USERNAME: 'admin',
      OGDC_API_password: TEST_ADMIN_PASSWORD,
    });
    assert.equal(res.code, 0, res.stderr);
  });

  it('prints the status, reason and detail of an API error and exits non-zero', async () => {
    const env = { OGDC_API_URL: url, OGDC_API_USERNAME: 'admin', OGDC_API_PASSWORD: TEST_ADMIN_PASSWORD };
    await runCli(['create-user', 'twice', 'pw'], env);
    const res = await runCli(['create-user', 'twice', 'pw'], env);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, 'API Error with status code 409: Conflict.\nAPI Error details: User with username twice already exists.\n');
  });

  it('says which variables to set when credentials are missing', async () => {
    const res = await runCli(['create-user', 'x', 'y'], { OGDC_API_URL: url });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /OGDC_API_USERNAME and OGDC_API_PASSWORD must be set/);
  });

  it('names the URL when the service cannot be reached', async () => {
    const res = await runCli(['create-user', 'x', 'y'], {
      OGDC_API_URL: 'http://127.0.0.1:9',
      OGDC_API_USERNAME: 'a',
      OGDC_API_PASSWORD: 'b',
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Cannot reach the OGDC API at http:\/\/127\.0\.0\.1:9/);
  });
});
