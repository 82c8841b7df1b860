// memoize: outputs cached by key, reused within maxAge with memoizationStatus (operator.go, controller/cache).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeStatus } from '../../../src/engine/types.ts';
import { example, harness, manifest, nodes, run } from './helpers.ts';
import { dbTargets } from '../../helpers/db.ts';

type Memoized = NodeStatus & { memoizationStatus?: unknown };

test('memoize-simple: a second run takes the cached outputs (hit) without running the pod', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const first = await run(engine, await example('memoize-simple'));
  assert.equal(first.status?.phase, 'Succeeded');
  const miss = nodes(first)[0]! as Memoized;
  assert.deepEqual(miss.memoizationStatus, { hit: false, key: 'cache-key', cacheName: 'cache-config' });
  const second = await run(engine, await example('memoize-simple'));
  const hit = nodes(second)[0]! as Memoized;
  assert.equal(hit.phase, 'Succeeded');
  assert.deepEqual(hit.memoizationStatus, { hit: true, key: 'cache-key', cacheName: 'cache-config' });
  assert.deepEqual(hit.outputs?.parameters, miss.outputs?.parameters);
});

test('fibonacci-seq-conditional-param: memoized steps templates give the sequence', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(engine, await example('fibonacci-seq-conditional-param'));
  assert.equal(wf.status?.phase, 'Succeeded', wf.status?.message);
  assert.ok(nodes(wf).some((n) => (n as { memoizationStatus?: { hit: boolean } }).memoizationStatus?.hit === true));
});

const stamp = (user?: string) =>
  manifest(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: memo-owner-
${user ? `  labels: {ogdc/submitter: ${user}}\n` : ''}spec:
  entrypoint: stamp
  templates:
  - name: stamp
    memoize: {key: shared-key, maxAge: 1h, cache: {configMap: {name: memo-cache}}}
    script:
      image: busybox
      command: [sh]
      source: echo ${user ?? 'nobody'} > /tmp/who.txt
    outputs:
      parameters:
      - {name: who, valueFrom: {path: /tmp/who.txt}}
`);

test('memoize: the cache is kept in the database, so a restarted engine still hits it', async (t) => {
  const db = await dbTargets()[0]!.open();
  t.after(() => db.close());
  const first = await harness(t, { sandbox: 'none', db });
  const miss = nodes(await run(first.engine, stamp()))[0]! as Memoized;
  assert.deepEqual(miss.memoizationStatus, { hit: false, key: 'shared-key', cacheName: 'memo-cache' });
  await first.engine.close();
  const second = await harness(t, { sandbox: 'none', db });
  const hit = nodes(await run(second.engine, stamp()))[0]! as Memoized;
  assert.deepEqual(hit.memoizationStatus, { hit: true, key: 'shared-key', cacheName: 'memo-cache' });
  assert.deepEqual(hit.outputs?.parameters?.[0]?.value, 'nobody');
});

test("memoize: one service user's cached outputs never answer another user's workflow", async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const alice = nodes(await run(engine, stamp('alice')))[0]! as Memoized;
  const bob = nodes(await run(engine, stamp('bob')))[0]! as Memoized;
  assert.deepEqual(
    [alice.memoizationStatus, bob.memoizationStatus].map((s) => (s as { hit: boolean }).hit),
    [false, false],
  );
  assert.equal(bob.outputs?.parameters?.[0]?.value, 'bob');
  const again = nodes(await run(engine, stamp('alice')))[0]! as Memoized;
  assert.equal((again.memoizationStatus as { hit: boolean }).hit, true);
  assert.equal(again.outputs?.parameters?.[0]?.value, 'alice');
});
