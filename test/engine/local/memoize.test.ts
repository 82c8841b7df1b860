// memoize: outputs cached by key, reused within maxAge with memoizationStatus (operator.go, controller/cache).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeStatus } from '../../../src/engine/types.ts';
import { example, harness, nodes, run } from './helpers.ts';

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
