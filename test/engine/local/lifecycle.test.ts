// Lifecycle: restart recovery, persistence, TTL, labels, delete, update events, followed logs.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { WorkflowNotFoundError } from '../../../src/engine/errors.ts';
import { createLocalEngine, RESTART_MESSAGE } from '../../../src/engine/local/index.ts';
import type { Workflow } from '../../../src/engine/types.ts';
import { dbTargets } from '../../helpers/db.ts';
import { harness, manifest, nodeByDisplay, run } from './helpers.ts';

const SLOW = manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: slow-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: slow, template: slow}
  - name: slow
    container: {image: busybox, command: [sh, -c, "echo started; sleep 60"]}
`);

for (const target of dbTargets()) {
  test(`after a restart no workflow stays Running: interrupted ones end Error saying why (${target.name})`, async (t) => {
    const db = await target.open();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-restart-'));
    t.after(async () => {
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    const first = await createLocalEngine({ db, dataDir, sandbox: 'none', log: () => undefined });
    t.after(() => first.close());
    const { metadata } = await first.submit(SLOW);
    const name = metadata.name!;
    for await (const line of first.logs(name, { follow: true })) if (line.content === 'started') break;
    // Wait until the running node is persisted, as a crash would find it.
    while ((await db.query(`SELECT 1 FROM local_nodes WHERE workflow_name = $1 AND status->>'phase' = 'Running'`, [name])).length === 0) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // A second engine on the same database and data dir is what a restarted service creates.
    const second = await createLocalEngine({ db, dataDir, sandbox: 'none', log: () => undefined });
    const wf = await second.get(name);
    assert.equal(wf.status?.phase, 'Error');
    assert.equal(wf.status?.message, RESTART_MESSAGE);
    assert.equal(nodeByDisplay(wf, 'slow').phase, 'Error');
    assert.equal(nodeByDisplay(wf, 'slow').message, RESTART_MESSAGE);
    await second.close();
  });
}

test('a finished workflow is read back from the database after the engine is closed', async (t) => {
  const db = await dbTargets()[0]!.open();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-persist-'));
  t.after(async () => {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const first = await createLocalEngine({ db, dataDir, sandbox: 'none', log: () => undefined });
  const done = await run(
    first,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: kept, labels: {ogdc/recipe: seal-tags, team: a}}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo, persisted]}
`),
  );
  await first.close();
  const second = await createLocalEngine({ db, dataDir, sandbox: 'none', log: () => undefined });
  t.after(() => second.close());
  const again = await second.get('kept');
  assert.deepEqual(again.status?.nodes, done.status?.nodes);
  assert.equal(again.status?.phase, 'Succeeded');
  assert.equal(again.metadata.labels?.['workflows.argoproj.io/completed'], 'true');
  assert.deepEqual(
    (await second.list('ogdc/recipe=seal-tags,team=a')).map((w) => w.metadata.name),
    ['kept'],
  );
  assert.deepEqual(await second.list('team=b'), []);
  const lines = [];
  for await (const l of second.logs('kept')) lines.push(l.content);
  assert.deepEqual(lines, ['persisted']);
  await second.delete('kept');
  await assert.rejects(second.get('kept'), WorkflowNotFoundError);
  await assert.rejects(stat(path.join(dataDir, 'workflows', 'kept')), { code: 'ENOENT' });
});

test('ttlStrategy deletes a finished workflow after the given seconds', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: ttl-}
spec:
  entrypoint: main
  ttlStrategy: {secondsAfterSuccess: 0, secondsAfterFailure: 3600}
  templates:
  - name: main
    container: {image: busybox, command: [echo, bye]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  for (;;) {
    try {
      await engine.get(wf.metadata.name!);
    } catch (err) {
      assert.ok(err instanceof WorkflowNotFoundError);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
});

test('onUpdate reports the workflow when it finishes; followed logs end with the workflow', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const seen: Workflow[] = [];
  const off = engine.onUpdate((wf) => seen.push(wf));
  const submitted = await engine.submit(
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: events-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c, "echo one; sleep 0.2; echo two"]}
`),
  );
  const lines = [];
  for await (const l of engine.logs(submitted.metadata.name!, { follow: true })) lines.push(l.content);
  assert.deepEqual(lines, ['one', 'two']);
  const final = await engine.wait(submitted.metadata.name!);
  off();
  assert.equal(final.status?.phase, 'Succeeded');
  assert.equal(seen.at(-1)?.status?.phase, 'Succeeded');
  assert.ok(seen.some((w) => w.status?.phase === 'Running'));
});
