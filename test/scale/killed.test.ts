/**
 * The replica that follows Argo is an `ogdc-runner serve` process killed with SIGKILL (no
 * shutdown of any kind): a replica in this process takes the lease over, and a change Argo
 * made while nobody followed it still reaches the runs table.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { BIN } from '../helpers/cli.ts';
import { createDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/net.ts';
import { eventually } from '../helpers/poll.ts';
import { recipeCorpusDir } from '../helpers/recipe-corpus.ts';
import { startTestService, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET, type TestService } from '../helpers/service.ts';
import { startArgoStandin, type ArgoStandin } from '../standins/argo-server.ts';
import { startS3Standin, type S3Standin } from '../standins/s3-server.ts';

const pgUrl = process.env.OGDC_TEST_PG_URL;
const S3 = { accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret', bucket: 'argo-workflows' };

const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

function argoEnv(argo: ArgoStandin, s3: S3Standin): Record<string, string> {
  return {
    ARGO_WORKFLOWS_SERVICE_URL: argo.url,
    ARGO_NAMESPACE: 'qgnet',
    S3_SECRET_KEY_ID: S3.accessKeyId,
    S3_SECRET_KEY_KEY: S3.secretAccessKey,
    INTERNAL_S3_ENDPOINT_URL: s3.url,
    PUBLIC_S3_ENDPOINT_URL: s3.url,
  };
}

/** `ogdc-runner serve` on `db`; resolves once it says it follows the Argo Server. */
async function serveProcess(db: DatabaseConfig & { kind: 'postgres' }, env: Record<string, string>): Promise<ChildProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-killed-'));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', String(await freePort())], {
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      OGDC_DATA_DIR: dataDir,
      OGDC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      OGDC_JWT_SECRET_KEY: TEST_JWT_SECRET,
      OGDC_DB_HOST: `${db.host}:${db.port}`,
      OGDC_DB_USERNAME: db.user,
      OGDC_DB_PASSWORD: db.password,
      OGDC_DB_NAME: db.database,
      OGDC_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes('this replica now follows the Argo Server')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before it followed Argo:\n${output}`)));
  });
  return child;
}

test(
  'the lease holder is killed: a replica on the same PostgreSQL takes over and no change is lost',
  { skip: !pgUrl, timeout: 60_000 },
  async () => {
    const argo = await startArgoStandin();
    cleanup.push(() => argo.close());
    const s3 = await startS3Standin(S3);
    cleanup.push(() => s3.close());
    const db = await createDatabase(new URL(pgUrl!));
    const env = argoEnv(argo, s3);

    const holder = await serveProcess(db, env);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    const other: TestService = await startTestService(
      { name: 'postgres', open: () => Promise.reject(new Error('unused')), freshConfig: () => Promise.resolve(db) },
      env,
      { createEngine, dbConfig: db, shutdownGraceMs: 500 },
    );
    cleanup.push(() => other.stop());
    await eventually(
      'the holder watching',
      () => argo.watch.open,
      (n) => n === 1,
    );

    const token = await other.userToken('alice');
    const status = async (name: string) =>
      (await other.app.inject({ url: `/status/${name}`, headers: { authorization: `Bearer ${token}` } })).json().status as string | null;
    const res = await other.app.inject({
      method: 'POST',
      url: '/submit',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      payload: await packRecipe(path.join(recipeCorpusDir(), 'upstream-tests', 'test_temp_output_recipe_dir')),
    });
    assert.equal(res.statusCode, 200, res.body);
    const name = res.json().recipe_workflow_name as string;
    // The row written at submission answers at once; Argo's changes come through the killed process's watch.
    assert.equal(await status(name), 'Pending');
    argo.setStatus(name, { phase: 'Running', progress: '0/3' });
    await eventually(
      'Running, written by the holder',
      () => status(name),
      (s) => s === 'Running',
    );

    holder.kill('SIGKILL');
    await exited;
    // Argo moves on while nobody follows it: the new holder's first list brings the change.
    argo.setStatus(name, { phase: 'Succeeded', progress: '3/3', finishedAt: '2026-01-01T00:01:00Z' });
    await eventually(
      'Succeeded after the takeover',
      () => status(name),
      (s) => s === 'Succeeded',
    );
    await eventually(
      'one watch again',
      () => argo.watch.open,
      (n) => n === 1,
    );
    const rows = await other.ctx.db.query<{ finished_at: Date | null }>('SELECT finished_at FROM recipe_runs WHERE workflow_name = $1', [
      name,
    ]);
    assert.notEqual(rows[0]!.finished_at, null);
  },
);
