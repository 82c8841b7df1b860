/**
 * Several service replicas on one PostgreSQL with the Argo stand-in: one follows Argo's
 * watch stream under the lease, every replica answers from the runs table, and run changes
 * reach every replica's listeners.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';
import type { DatabaseConfig } from '../../src/config/index.ts';
import type { RunChange } from '../../src/service/runs/changes.ts';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { createDatabase } from '../helpers/db.ts';
import { recipeCorpusDir } from '../helpers/recipe-corpus.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { startArgoStandin, type ArgoStandin } from '../standins/argo-server.ts';
import { startS3Standin, type S3Standin } from '../standins/s3-server.ts';

const pgUrl = process.env.OGDC_TEST_PG_URL;
const recipes = path.join(recipeCorpusDir(), 'upstream-tests');
const S3 = { accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret', bucket: 'argo-workflows' };

let argo: ArgoStandin;
let s3: S3Standin;
let dbConfig: DatabaseConfig;
const replicas: TestService[] = [];
let token: string;

async function replica(): Promise<TestService> {
  const svc = await startTestService(
    { name: 'postgres', open: () => Promise.reject(new Error('unused')), freshConfig: () => Promise.resolve(dbConfig) },
    {
      ARGO_WORKFLOWS_SERVICE_URL: argo.url,
      ARGO_NAMESPACE: 'qgnet',
      ARGO_WATCH_RESYNC_MS: '500',
      OGDC_TOKEN_RATE_LIMIT_PER_CLIENT: '5',
      OGDC_TOKEN_RATE_LIMIT_PER_USERNAME: '3',
      S3_SECRET_KEY_ID: S3.accessKeyId,
      S3_SECRET_KEY_KEY: S3.secretAccessKey,
      INTERNAL_S3_ENDPOINT_URL: s3.url,
      PUBLIC_S3_ENDPOINT_URL: s3.url,
    },
    { createEngine, dbConfig, shutdownGraceMs: 500 },
  );
  replicas.push(svc);
  return svc;
}

const auth = () => ({ authorization: `Bearer ${token}` });
const submit = async (svc: TestService, dir = 'test_temp_output_recipe_dir') =>
  svc.app.inject({
    method: 'POST',
    url: '/submit',
    headers: { ...auth(), 'content-type': 'application/gzip' },
    payload: await packRecipe(path.join(recipes, dir)),
  });

async function statusOn(svc: TestService, name: string, phase: string): Promise<string | null> {
  for (let i = 0; ; i++) {
    const res = await svc.app.inject({ url: `/status/${name}`, headers: auth() });
    assert.equal(res.statusCode, 200, res.body);
    const status = res.json().status as string | null;
    if (status === phase || i >= 300) return status;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  if (!pgUrl) return;
  // The stand-in validates with Argo's schema: compile it once before any submission is timed.
  validateWorkflowManifest({});
  argo = await startArgoStandin();
  s3 = await startS3Standin(S3);
  dbConfig = await createDatabase(new URL(pgUrl));
  const a = await replica();
  await replica();
  token = await a.userToken('alice');
});
after(async () => {
  for (const svc of replicas) await svc.stop().catch(() => {});
  await argo?.close();
  await s3?.close();
});

test('submit on one replica, status on the other; polls cost the Argo Server nothing', { skip: !pgUrl }, async () => {
  const [a, b] = replicas as [TestService, TestService];
  await until('one follower', () => argo.watch.open === 1);
  const res = await submit(a);
  assert.equal(res.statusCode, 200, res.body);
  const name = res.json().recipe_workflow_name as string;
  argo.setStatus(name, { phase: 'Running', progress: '0/3' });
  assert.equal(await statusOn(b, name, 'Running'), 'Running');
  const before = argo.requests.length;
  for (let i = 0; i < 50; i++) {
    for (const svc of [a, b]) assert.equal((await svc.app.inject({ url: `/status/${name}`, headers: auth() })).json().status, 'Running');
  }
  assert.equal(
    argo.requests.slice(before).filter((r) => r.path.startsWith('/api/v1/workflows/qgnet/')).length,
    0,
    '100 polls, no workflow GET',
  );
  assert.equal(argo.watch.open, 1, 'only the lease holder watches');

  const heard: RunChange[] = [];
  const unsubscribe = b.ctx.runChanges.subscribe((c) => heard.push(c));
  const heardOnA: RunChange[] = [];
  const unsubscribeA = a.ctx.runChanges.subscribe((c) => heardOnA.push(c));
  argo.setStatus(name, { phase: 'Succeeded', progress: '3/3', finishedAt: '2026-01-01T00:01:00Z' });
  await until(
    'the change on both replicas',
    () => heard.some((c) => c.phase === 'Succeeded') && heardOnA.some((c) => c.phase === 'Succeeded'),
  );
  unsubscribe();
  unsubscribeA();
  assert.equal(heard.find((c) => c.phase === 'Succeeded')?.workflowName, name);

  const detail = await b.app.inject({ url: `/runs/${name}`, headers: auth() });
  assert.equal(detail.statusCode, 200, detail.body);
  assert.equal(detail.json().status, 'Succeeded');
});

test('login failures count on every replica: a client failing on both is refused by both', { skip: !pgUrl }, async () => {
  const [a, b] = replicas as [TestService, TestService];
  const login = (svc: TestService, username: string, password: string, from: string) =>
    svc.app.inject({
      method: 'POST',
      url: '/token',
      remoteAddress: from,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username, password }).toString(),
    });
  // Six failures, three on each replica: each alone has seen fewer than the five free ones.
  for (let i = 1; i <= 6; i++) {
    assert.equal((await login(i % 2 ? a : b, `sprayed-${i}`, 'password1', '10.7.0.1')).statusCode, 401);
  }
  for (const svc of [a, b]) {
    const refused = await login(svc, 'alice', 'alice-password', '10.7.0.1');
    assert.equal(refused.statusCode, 429, refused.body);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
  }
  // Another client is not held back, on either replica.
  for (const svc of [a, b]) assert.equal((await login(svc, 'alice', 'alice-password', '10.7.0.2')).statusCode, 200);
});

test('concurrent submissions of one recipe on two replicas: exactly one wins', { skip: !pgUrl }, async () => {
  const [a, b] = replicas as [TestService, TestService];
  const answers = await Promise.all([submit(a, 'test_shell_workflow_recipe_dir'), submit(b, 'test_shell_workflow_recipe_dir')]);
  const codes = answers.map((r) => r.statusCode).sort();
  assert.deepEqual(codes, [200, 409], answers.map((r) => r.body).join(' | '));
  const name = answers.find((r) => r.statusCode === 200)!.json().recipe_workflow_name as string;
  argo.setStatus(name, { phase: 'Succeeded' });
  assert.equal(await statusOn(b, name, 'Succeeded'), 'Succeeded');
});

test('the stream cut, garbled and stalled: status is still right, never a 500', { skip: !pgUrl }, async () => {
  const [a, b] = replicas as [TestService, TestService];
  const res = await submit(b, 'test_parallel_shell_recipe_dir');
  assert.equal(res.statusCode, 200, res.body);
  const name = res.json().recipe_workflow_name as string;
  argo.watch.drop();
  argo.setStatus(name, { phase: 'Running' });
  assert.equal(await statusOn(a, name, 'Running'), 'Running');
  await until('the stream back', () => argo.watch.open === 1);
  argo.watch.garble();
  argo.watch.garble('not json at all');
  argo.watch.stall(true);
  argo.setStatus(name, { phase: 'Failed', message: 'child failed' });
  // The stalled stream misses it; the safety-net list (500 ms here) brings it.
  assert.equal(await statusOn(b, name, 'Failed'), 'Failed');
});

test('the lease holder dies: another replica takes over following Argo', { skip: !pgUrl }, async () => {
  const [a] = replicas as [TestService, TestService];
  const c = await replica();
  const res = await submit(c);
  assert.equal(res.statusCode, 200, res.body);
  const name = res.json().recipe_workflow_name as string;
  // The first replica holds the lease; stopping it ends its session and its advisory lock.
  await a.stop();
  replicas.shift();
  argo.setStatus(name, { phase: 'Succeeded' });
  assert.equal(await statusOn(c, name, 'Succeeded'), 'Succeeded');
  await until('one follower again', () => argo.watch.open === 1);
});
