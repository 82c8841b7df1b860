// Mutexes and semaphores within one engine (workflow/sync): Argo's lock names and waiting messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LocalEngine } from '../../../src/engine/local/index.ts';
import { parseWorkflowDocuments } from '../../../src/engine/local/admission/manifest-file.ts';
import type { Workflow } from '../../../src/engine/types.ts';
import { harness, manifest, nodes } from './helpers.ts';

/** Polls until `check` holds on the workflow (with a deadline). */
async function until(engine: LocalEngine, name: string, check: (wf: Workflow) => boolean): Promise<Workflow> {
  const deadline = Date.now() + 15000;
  for (;;) {
    const wf = await engine.get(name);
    if (check(wf)) return wf;
    if (Date.now() > deadline) throw new Error(`condition not reached: ${JSON.stringify(wf.status)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const holder = (sync: string, seconds = '30') =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: lock-}
spec:
  entrypoint: main
  ${sync}
  templates:
  - name: main
    container: {image: alpine, command: [sleep, "${seconds}"]}
`);

test('a workflow-level mutex holds a second workflow Pending with Argo message until the first ends', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const sync = 'synchronization: {mutexes: [{name: test}]}';
  const first = (await engine.submit(holder(sync))).metadata.name!;
  await until(engine, first, (wf) => Object.values(wf.status?.nodes ?? {}).some((n) => n.phase === 'Running'));
  const second = (await engine.submit(holder(sync, '0'))).metadata.name!;
  const waiting = await until(engine, second, (wf) => wf.status?.phase === 'Pending');
  assert.equal(waiting.status?.message, 'Waiting for default/Mutex/test lock. Lock status: 0/1');
  await engine.stop(first);
  const done = await engine.wait(second);
  assert.equal(done.status?.phase, 'Succeeded');
});

test('a template-level semaphore from a ConfigMap runs at most its limit at once; the rest wait Pending', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  engine.registerTemplate(
    parseWorkflowDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: my-config}\ndata: {template: "2"}\n', 'cm')[0]!,
  );
  const wf = manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sem-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: work, template: work, withItems: [1, 2, 3, 4]}
  - name: work
    synchronization: {semaphores: [{configMapKeyRef: {name: my-config, key: template}}]}
    container: {image: alpine, command: [sleep, "30"]}
`);
  const name = (await engine.submit(wf)).metadata.name!;
  const seen = await until(engine, name, (w) => {
    const pods = Object.values(w.status?.nodes ?? {}).filter((n) => n.type === 'Pod');
    return pods.filter((n) => n.phase === 'Running').length === 2 && pods.filter((n) => n.phase === 'Pending').length === 2;
  });
  const pending = Object.values(seen.status!.nodes!).filter((n) => n.type === 'Pod' && n.phase === 'Pending');
  for (const n of pending) assert.equal(n.message, 'Waiting for default/ConfigMap/my-config/template lock. Lock status: 0/2');
  await engine.stop(name);
  const final = await engine.wait(name);
  assert.ok(
    nodes(final)
      .filter((n) => n.type === 'Pod')
      .every((n) => n.phase === 'Failed'),
  );
});

test('a semaphore without a limit errors the workflow with Argo message', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await engine.wait(
    (await engine.submit(holder('synchronization: {semaphores: [{configMapKeyRef: {name: nope, key: k}}]}', '0'))).metadata.name!,
  );
  assert.equal(wf.status?.phase, 'Error');
  assert.equal(wf.status?.message, 'Failed to get semaphore limit for default/ConfigMap/nope/k');
});
