import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { resolveSecrets } from '../../src/service/start.ts';
import { translateOptionsFrom } from '../../src/translate/options.ts';

const pgEnv = {
  OGDC_DB_HOST: 'db.example:6543',
  OGDC_DB_USERNAME: 'ogdc',
  OGDC_DB_PASSWORD: 'pw',
  OGDC_JWT_SECRET_KEY: 'k',
  OGDC_ADMIN_PASSWORD: 'a',
};

describe('loadConfig', () => {
  it('uses embedded PGlite and the local engine when nothing is set', () => {
    const config = loadConfig({ HOME: '/home/u' });
    assert.deepEqual(config.db, { kind: 'pglite', dataDir: '/home/u/.local/share/ogdc-runner/db' });
    assert.equal(config.engine.kind, 'local');
    assert.equal(config.argoNamespace, 'qgnet');
    assert.equal(config.workflowPvcName, 'cephfs-qgnet-ogdc-workflow-pvc');
    assert.equal(config.serviceAccountName, 'argo-workflow');
    assert.equal(config.runnerImage, 'ghcr.io/qgreenland-net/ogdc-runner:latest');
    assert.equal(config.imagePullPolicy, 'IfNotPresent');
    assert.equal(config.maxParallelLimit, 5);
    assert.equal(config.dataoneNodeUrl, 'https://arcticdata.io/metacat/d1/mn');
    assert.equal(config.apiRootPath, '/');
  });

  it('reads a PostgreSQL host with a port and defaults the database name to ogdc', () => {
    const config = loadConfig(pgEnv);
    assert.deepEqual(config.db, { kind: 'postgres', host: 'db.example', port: 6543, user: 'ogdc', password: 'pw', database: 'ogdc' });
  });

  for (const name of ['OGDC_DB_USERNAME', 'OGDC_DB_PASSWORD', 'OGDC_JWT_SECRET_KEY', 'OGDC_ADMIN_PASSWORD']) {
    it(`stops with a message naming ${name} when PostgreSQL is configured without it`, () => {
      const env: Record<string, string> = { ...pgEnv };
      delete env[name];
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.variable === name && err.message.includes(name),
      );
    });
  }

  it('names malformed variables', () => {
    assert.throws(() => loadConfig({ OGDC_MAX_PARALLEL_LIMIT: 'many' }), /OGDC_MAX_PARALLEL_LIMIT must be a positive whole number/);
    assert.throws(() => loadConfig({ ARGO_WORKFLOWS_SERVICE_URL: 'not a url' }), /ARGO_WORKFLOWS_SERVICE_URL must be an http\(s\) URL/);
    assert.throws(() => loadConfig({ API_ROOT_PATH: 'ogdc' }), /API_ROOT_PATH must start with "\/"/);
    assert.throws(() => loadConfig({ ...pgEnv, OGDC_DB_HOST: 'h:99999' }), /OGDC_DB_HOST/);
  });

  it('chooses Argo, the local image and pull policies from the environment', () => {
    const argo = loadConfig({
      ARGO_WORKFLOWS_SERVICE_URL: 'https://argo.example/',
      ARGO_TOKEN: 't',
      ENVIRONMENT: 'dev',
      OGDC_RUNNER_IMAGE_TAG: 'v1',
    });
    assert.equal(argo.engine.kind, 'argo');
    assert.equal(argo.engine.kind === 'argo' && argo.engine.serviceUrl, 'https://argo.example');
    assert.equal(argo.imagePullPolicy, 'Always');
    assert.equal(argo.runnerImage, 'ghcr.io/qgreenland-net/ogdc-runner:v1');
    assert.equal(loadConfig({ ENVIRONMENT: 'local' }).runnerImage, 'ogdc-runner:latest');
  });

  it('passes VIZ_WORKFLOW_IMAGE to the translator, and leaves the default when unset', () => {
    const submission = { submitter: 'alice', overwrite: false, uploadPrefix: 'u' };
    const pinned = loadConfig({ VIZ_WORKFLOW_IMAGE: 'registry.example/pdg:0.4.1' });
    assert.equal(translateOptionsFrom(pinned, submission).vizWorkflowImage, 'registry.example/pdg:0.4.1');
    assert.equal('vizWorkflowImage' in translateOptionsFrom(loadConfig({}), submission), false);
  });
});

describe('embedded secrets', () => {
  it('creates the JWT key and admin password once, in 0600 files, and reuses them', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-secrets-'));
    const notices: string[] = [];
    const config = loadConfig({ OGDC_DATA_DIR: dataDir });
    const first = await resolveSecrets(config, (l) => notices.push(l));
    const second = await resolveSecrets(config, () => {});
    assert.deepEqual(first, second);
    assert.ok(first.jwtSecretKey.length >= 32);
    for (const file of ['jwt-secret', 'admin-password']) {
      assert.equal((await stat(path.join(dataDir, file))).mode & 0o777, 0o600);
    }
    assert.equal((await readFile(path.join(dataDir, 'admin-password'), 'utf8')).trim(), first.adminPassword);
    // The path is printed, never the password.
    assert.deepEqual(notices, [`The admin password is in ${path.join(dataDir, 'admin-password')}`]);
    assert.ok(!notices.join('').includes(first.adminPassword));
  });
});
