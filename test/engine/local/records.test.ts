// The engine's two kinds of kept state give the same answers: workflow records (the database tables of
// state/store.ts and the memory of state/memory-store.ts) and memoize caches (table, memory, files).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createLocalEngine } from '../../../src/engine/local/index.ts';
import { DbMemoStore, FileMemoStore, MemoryMemoStore, type MemoStore } from '../../../src/engine/local/state/memo.ts';
import { MemoryWorkflowStore } from '../../../src/engine/local/state/memory-store.ts';
import { WorkflowStore, type WorkflowRecords } from '../../../src/engine/local/state/store.ts';
import type { NodeStatus, Workflow } from '../../../src/engine/types.ts';
import { dbTargets } from '../../helpers/db.ts';
import { example, nodes, run, shellPod } from './helpers.ts';

async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const recordSubjects: Array<{ name: string; open(t: TestContext): Promise<WorkflowRecords> }> = [
  ...dbTargets().map((target) => ({
    name: `tables (${target.name})`,
    async open(t: TestContext) {
      const db = await target.open();
      t.after(() => db.close());
      return new WorkflowStore(db);
    },
  })),
  { name: 'memory', open: async () => new MemoryWorkflowStore() },
];

const wfNamed = (name: string, labels: Record<string, string>): Workflow => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels },
  spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] },
  status: { phase: 'Running', startedAt: '2026-01-01T00:00:00Z' },
});

const node = (id: string, phase: string): NodeStatus => ({ id, name: id, displayName: id, type: 'Pod', phase }) as NodeStatus;

for (const subject of recordSubjects) {
  test(`workflow records, ${subject.name}: insert refuses a taken name; save upserts nodes; load, list, summaries`, async (t) => {
    const records = await subject.open(t);
    assert.equal(await records.insert(wfNamed('a', { team: 'x' })), true);
    assert.equal(await records.insert(wfNamed('a', { team: 'y' })), false);
    assert.equal(await records.insert(wfNamed('b', { team: 'x', other: '1' })), true);
    assert.equal(await records.insert(wfNamed('c', { team: 'z' })), true);

    const a = (await records.load('a'))!;
    assert.deepEqual(a.metadata.labels, { team: 'x' });
    assert.equal(a.status?.nodes, undefined);
    const running: Workflow = { ...a, status: { ...a.status, phase: 'Running', nodes: { n1: node('n1', 'Running') } } };
    await records.save(running, [node('n1', 'Running')]);
    const finished: Workflow = {
      ...a,
      metadata: { ...a.metadata, labels: { team: 'x', 'workflows.argoproj.io/phase': 'Succeeded' } },
      status: { phase: 'Succeeded', finishedAt: '2026-01-01T00:01:00Z' },
    };
    await records.save(finished, [node('n1', 'Succeeded'), node('n2', 'Succeeded')], new Date('2030-01-01T00:00:00Z'));
    const loaded = (await records.load('a'))!;
    assert.equal(loaded.status?.phase, 'Succeeded');
    assert.deepEqual(Object.keys(loaded.status?.nodes ?? {}).sort(), ['n1', 'n2']);
    assert.equal(loaded.status?.nodes?.n1?.phase, 'Succeeded');
    assert.equal(loaded.metadata.labels?.['workflows.argoproj.io/phase'], 'Succeeded');
    assert.deepEqual(loaded.spec, wfNamed('a', {}).spec);
    // What was handed out is a copy: changing it changes nothing kept.
    loaded.status!.phase = 'Failed';
    assert.equal((await records.load('a'))!.status?.phase, 'Succeeded');

    assert.deepEqual(
      (await records.list({ team: 'x' })).map((w) => w.metadata.name),
      ['b', 'a'],
    );
    assert.deepEqual(
      (await records.list({ team: 'x', other: '1' })).map((w) => w.metadata.name),
      ['b'],
    );
    const summaries = await records.summaries();
    assert.deepEqual(
      summaries.map((w) => w.metadata.name),
      ['c', 'b', 'a'],
    );
    assert.ok(summaries.every((w) => w.status?.nodes === undefined));
    assert.deepEqual(await records.expiring(), [{ name: 'a', deleteAfter: new Date('2030-01-01T00:00:00Z') }]);

    await records.delete('a');
    assert.equal(await records.load('a'), undefined);
    assert.deepEqual(await records.expiring(), []);
    await records.ping();
  });
}

const memoSubjects: Array<{ name: string; open(t: TestContext): Promise<MemoStore> }> = [
  {
    name: `table (${dbTargets()[0]!.name})`,
    async open(t: TestContext) {
      const db = await dbTargets()[0]!.open();
      t.after(() => db.close());
      return new DbMemoStore(db);
    },
  },
  { name: 'memory', open: async () => new MemoryMemoStore() },
  { name: 'files', open: async (t: TestContext) => new FileMemoStore(path.join(await tempDir(t, 'ogdc-memo-'), 'memoize')) },
];

for (const subject of memoSubjects) {
  test(`memoize caches, ${subject.name}: a set entry is found by its id, replaced by a later set, missed past maxAge`, async (t) => {
    const memo = await subject.open(t);
    assert.equal(await memo.get('me/default/cache/k'), undefined);
    await memo.set('me/default/cache/k', { parameters: [{ name: 'p', value: 'one' }] });
    assert.deepEqual(await memo.get('me/default/cache/k'), { parameters: [{ name: 'p', value: 'one' }] });
    assert.deepEqual(await memo.get('me/default/cache/k', 3600), { parameters: [{ name: 'p', value: 'one' }] });
    assert.equal(await memo.get('other/default/cache/k'), undefined);
    await memo.set('me/default/cache/k', { parameters: [{ name: 'p', value: 'two' }] });
    assert.deepEqual(await memo.get('me/default/cache/k'), { parameters: [{ name: 'p', value: 'two' }] });
    // maxAge 0: anything saved before now is too old.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await memo.get('me/default/cache/k', 0), undefined);
  });
}

test('memoize caches, files: kept across store instances; a damaged file is a miss, then replaced', async (t) => {
  const dir = path.join(await tempDir(t, 'ogdc-memo-'), 'memoize');
  await new FileMemoStore(dir).set('me/default/cache/k', { parameters: [{ name: 'p', value: 'kept' }] });
  const again = new FileMemoStore(dir);
  assert.deepEqual(await again.get('me/default/cache/k'), { parameters: [{ name: 'p', value: 'kept' }] });
  const [file] = await readdir(dir);
  assert.match(file!, /^[0-9a-f]{64}\.json$/);
  await writeFile(path.join(dir, file!), '{"id": "me/def');
  assert.equal(await again.get('me/default/cache/k'), undefined);
  await again.set('me/default/cache/k', { parameters: [{ name: 'p', value: 'new' }] });
  assert.deepEqual(await again.get('me/default/cache/k'), { parameters: [{ name: 'p', value: 'new' }] });
  assert.deepEqual(await readdir(dir), [file]);
});

test('an engine without a database keeps workflows and memoize caches in memory: get, list, delete, a cache hit', async (t) => {
  const dataDir = await tempDir(t, 'ogdc-nodb-');
  const engine = await createLocalEngine({ dataDir, sandbox: 'none', maxProcesses: 2, log: () => undefined });
  t.after(() => engine.close());
  await engine.ping();
  const first = await run(engine, await example('memoize-simple'));
  assert.equal(first.status?.phase, 'Succeeded');
  const second = await run(engine, await example('memoize-simple'));
  assert.deepEqual((nodes(second)[0] as { memoizationStatus?: unknown }).memoizationStatus, {
    hit: true,
    key: 'cache-key',
    cacheName: 'cache-config',
  });
  const got = await engine.get(first.metadata.name!);
  assert.equal(got.status?.phase, 'Succeeded');
  assert.deepEqual(Object.keys(got.status?.nodes ?? {}).sort(), Object.keys(first.status?.nodes ?? {}).sort());
  const labelled = await run(engine, shellPod('{generateName: labelled-, labels: {team: blue}}', 'echo hi'));
  assert.deepEqual(
    (await engine.list('team=blue')).map((w) => w.metadata.name),
    [labelled.metadata.name],
  );
  await engine.delete(first.metadata.name!);
  await assert.rejects(engine.get(first.metadata.name!), /not found/);
});
