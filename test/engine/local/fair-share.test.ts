// Fair share of the local engine's process slots between users (DESIGN §9).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { LocalEngine } from '../../../src/engine/local/index.ts';
import { FairSemaphore } from '../../../src/engine/local/execution/semaphore.ts';
import { harness, manifest } from './helpers.ts';

/** A run of `user` whose one step waits until `gate` exists. */
const gated = (user: string, gate: string) =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: fair-, labels: {ogdc/submitter: ${user}}}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c], args: ["while [ ! -e ${gate} ]; do sleep 0.05; done"]}
`);

async function podPhase(engine: LocalEngine, name: string): Promise<string | undefined> {
  const wf = await engine.get(name);
  return Object.values(wf.status?.nodes ?? {}).find((n) => n.type === 'Pod')?.phase;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a freed process slot goes to the user holding fewest, not to the one who queued most', async (t) => {
  // Outside /tmp: without a sandbox a step's /tmp paths are its own.
  const dataDir = await mkdtemp('/var/tmp/ogdc-fair-');
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const { engine } = await harness(t, { sandbox: 'none', maxProcesses: 2, dataDir });
  const gate = (n: string) => path.join(dataDir, `gate-${n}`);
  const a1 = (await engine.submit(gated('alice', gate('a1')))).metadata.name!;
  const a2 = (await engine.submit(gated('alice', gate('a2')))).metadata.name!;
  await until(
    'both of alice’s first steps to run',
    async () => (await podPhase(engine, a1)) === 'Running' && (await podPhase(engine, a2)) === 'Running',
  );
  const a3 = (await engine.submit(gated('alice', gate('a3')))).metadata.name!;
  await until('alice’s third step to wait', async () => (await podPhase(engine, a3)) === 'Pending');
  const b1 = (await engine.submit(gated('bob', gate('b1')))).metadata.name!;
  await until('bob’s step to wait', async () => (await podPhase(engine, b1)) === 'Pending');
  // Alice's third step queued first, but the freed slot goes to bob, who holds none.
  await writeFile(gate('a1'), '');
  await until('bob’s step to run', async () => (await podPhase(engine, b1)) === 'Running');
  assert.equal(await podPhase(engine, a3), 'Pending');
  for (const g of ['a2', 'a3', 'b1']) await writeFile(gate(g), '');
  for (const name of [a1, a2, a3, b1]) assert.equal((await engine.wait(name)).status?.phase, 'Succeeded');
});

test('FairSemaphore: the freed slot goes to the waiting owner holding fewest; ties go to the longest waiting', async () => {
  const slots = new FairSemaphore(2);
  const x = await slots.acquire('a');
  const y = await slots.acquire('a');
  const order: string[] = [];
  const a3 = slots.acquire('a').then((release) => (order.push('a3'), release));
  const b1 = slots.acquire('b').then((release) => (order.push('b1'), release));
  const c1 = slots.acquire('c').then((release) => (order.push('c1'), release));
  x();
  assert.equal(slots.holding('b'), 1);
  // a and c hold none now: a3 waited longer than c1.
  y();
  assert.equal(slots.holding('a'), 1);
  (await b1)();
  assert.equal(slots.holding('c'), 1);
  (await a3)();
  (await c1)();
  assert.deepEqual(order, ['b1', 'a3', 'c1']);
  assert.equal(slots.holding('a') + slots.holding('b') + slots.holding('c'), 0);
});
