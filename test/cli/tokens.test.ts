import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form, TEST_ADMIN_PASSWORD, type TestService } from '../helpers/service.ts';
import { runCli } from '../helpers/cli.ts';
import { defaultApiUrl } from '../../src/cli/api-client.ts';
import { tokenFilePath } from '../../src/cli/token-file.ts';

describe('the token file and automatic refresh of the CLI against a running service', () => {
  let svc: TestService;
  let url: string;
  let home: string;
  let n = 0;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!);
    url = await svc.app.listen({ host: '127.0.0.1', port: 0 });
    home = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-tokens-'));
  });
  after(async () => {
    await svc.stop();
    await rm(home, { recursive: true, force: true });
  });

  /** A fresh XDG_CONFIG_HOME per test, so no test sees another's file. */
  const freshEnv = () => {
    n += 1;
    const config = path.join(home, `config-${n}`);
    return { env: { OGDC_API_URL: url, XDG_CONFIG_HOME: config }, file: path.join(config, 'ogdc', 'tokens.json') };
  };
  const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  const passwordTokens = async () => {
    const res = await svc.app.inject({ method: 'POST', url: '/token', ...form({ username: 'admin', password: TEST_ADMIN_PASSWORD }) });
    return res.json() as { access_token: string; refresh_token: string };
  };
  const refreshStatus = async (refreshToken: string) =>
    (await svc.app.inject({ method: 'POST', url: '/refresh', ...form({ refresh_token: refreshToken }) })).statusCode;

  it('set-token --json-str takes what /authorize answers and writes the upstream format with mode 0600', async () => {
    const { env, file } = freshEnv();
    const res = await runCli(
      ['set-token', '--json-str', '{"message":"Success","token":{"access_token":"a.b.c","refresh_token":"r.s.t"}}'],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'OGDC tokens updated successfully.\n');
    assert.deepEqual(await readJson(file), { access_token: 'a.b.c', refresh_token: 'r.s.t' });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('set-token reads the JSON from standard input, and flags win over it', async () => {
    const { env, file } = freshEnv();
    const res = await runCli(['set-token', '--refresh', 'opaque-refresh-token'], env);
    assert.equal(res.code, 0, res.stderr);
    const piped = await runCli(['set-token'], env, '{"access_token":"piped.access.token"}');
    assert.equal(piped.code, 0, piped.stderr);
    // An opaque or unexpired refresh token already in the file is kept.
    assert.deepEqual(await readJson(file), { access_token: 'piped.access.token', refresh_token: 'opaque-refresh-token' });
  });

  it('set-token without tokens, or with bad JSON, fails naming what is wrong', async () => {
    const { env } = freshEnv();
    const none = await runCli(['set-token'], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /At least one of 'access', 'refresh', or 'json-str'/);
    const bad = await runCli(['set-token', '--json-str', '{"token": {"access_token": ""}}'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /'access_token' must be a non-empty string/);
  });

  it('login with a local account saves tokens that later commands use without a password', async () => {
    const { env, file } = freshEnv();
    const login = await runCli(['login', '--username', 'admin', '--password-stdin'], env, `${TEST_ADMIN_PASSWORD}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Signed in as admin/);
    const saved = await readJson(file);
    assert.ok(saved.access_token && saved.refresh_token);
    const runs = await runCli(['runs', '--json'], env);
    assert.equal(runs.code, 0, runs.stderr);
    assert.equal(JSON.parse(runs.stdout).total, 0);
  });

  it('refreshes an expired access token through /refresh and stores the rotated tokens', async () => {
    const { env, file } = freshEnv();
    const issued = await passwordTokens();
    const expired = await new SignJWT({ sub: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode('x'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ access_token: expired, refresh_token: issued.refresh_token }));
    const runs = await runCli(['runs', '--json'], env);
    assert.equal(runs.code, 0, runs.stderr);
    const saved = await readJson(file);
    assert.notEqual(saved.refresh_token, issued.refresh_token);
    assert.equal(await refreshStatus(issued.refresh_token), 401, 'the old refresh token was spent');
    assert.equal((await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${saved.access_token}` } })).statusCode, 200);
  });

  it('refreshes once and retries when the service refuses a stored access token that has not expired', async () => {
    const { env, file } = freshEnv();
    const issued = await passwordTokens();
    const forged = await new SignJWT({ sub: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ access_token: forged, refresh_token: issued.refresh_token }));
    const runs = await runCli(['runs', '--json'], env);
    assert.equal(runs.code, 0, runs.stderr);
    assert.notEqual((await readJson(file)).access_token, forged);
  });

  it('falls back to OGDC_API_USERNAME / OGDC_API_PASSWORD, and says when a saved session has ended', async () => {
    const { env, file } = freshEnv();
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ access_token: 'x.y.z', refresh_token: 'revoked-or-unknown' }));
    const withPassword = await runCli(['runs', '--json'], { ...env, OGDC_API_USERNAME: 'admin', OGDC_API_PASSWORD: TEST_ADMIN_PASSWORD });
    assert.equal(withPassword.code, 0, withPassword.stderr);
    const without = await runCli(['runs'], env);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /has expired: run "ogdc-runner login"/);
  });

  it('logout revokes the refresh token at the service and deletes the file', async () => {
    const { env, file } = freshEnv();
    const issued = await passwordTokens();
    await runCli(['set-token', '--access', issued.access_token, '--refresh', issued.refresh_token], env);
    const out = await runCli(['logout'], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Signed out/);
    await assert.rejects(stat(file), { code: 'ENOENT' });
    assert.equal(await refreshStatus(issued.refresh_token), 401);
    assert.match((await runCli(['logout'], env)).stdout, /No tokens were saved/);
  });

  it('login --oidc prints the /login URL of the service', async () => {
    const { env } = freshEnv();
    const res = await runCli(['login', '--oidc'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(res.stdout.includes(`${url}/login`));
    assert.match(res.stdout, /set-token --json-str/);
  });

  it('finds the file at TOKEN_CACHE_FILE, else under XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(tokenFilePath({ TOKEN_CACHE_FILE: '/t/tokens.json', XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/t/tokens.json');
    assert.equal(tokenFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/ogdc/tokens.json');
    assert.equal(tokenFilePath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }), '/h/.config/ogdc/tokens.json');
    assert.equal(tokenFilePath({ HOME: '/h' }), '/h/.config/ogdc/tokens.json');
  });

  it('defaults the API URL as the v0.4 CLI does', () => {
    assert.equal(defaultApiUrl({}), 'https://ogdc.dataone.org/api');
    assert.equal(defaultApiUrl({ ENVIRONMENT: 'dev' }), 'https://ogdc.test.dataone.org/api');
    assert.equal(defaultApiUrl({ ENVIRONMENT: 'local' }), 'https://localhost:7443/api');
    assert.equal(defaultApiUrl({ OGDC_API_URL: 'http://127.0.0.1:8000/' }), 'http://127.0.0.1:8000');
  });
});

describe('the CLI against an open service', () => {
  let svc: TestService;
  let url: string;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!, { ACCESS_MODE: 'open' });
    url = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => svc.stop());

  it('needs no token, no file and no password', async () => {
    const config = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-open-'));
    try {
      const runs = await runCli(['runs', '--json'], { OGDC_API_URL: url, XDG_CONFIG_HOME: config });
      assert.equal(runs.code, 0, runs.stderr);
      assert.equal(JSON.parse(runs.stdout).total, 0);
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  });
});
