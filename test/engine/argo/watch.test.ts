import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createArgoEngine, type ArgoEngine } from '../../../src/engine/argo/index.ts';
import type { Workflow, WorkflowEvent } from '../../../src/engine/types.ts';
import { startArgoStandin, type ArgoStandin } from '../../standins/argo-server.ts';
import { helloManifest } from './fixtures.ts';

let argo: ArgoStandin;
let engine: ArgoEngine;
const events: WorkflowEvent[] = [];
let stop: () => void;

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The last phase the events said `name` has. */
function phaseOf(name: string): string | undefined {
  let phase: string | undefined;
  for (const e of events) {
    const wfs: Workflow[] = e.type === 'LISTED' ? e.workflows : [e.workflow];
    for (const wf of wfs) if (wf.metadata.name === name) phase = e.type === 'DELETED' ? 'gone' : wf.status?.phase;
  }
  return phase;
}

before(async () => {
  argo = await startArgoStandin();
  engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', timeoutMs: 15_000, watchResyncMs: 400 });
  stop = engine.watch((e) => events.push(e));
  await until('the first stream', () => argo.watch.open === 1);
});
after(async () => {
  stop();
  await engine.close();
  await argo.close();
});

test('the watch lists, then follows the label-selected stream: ADDED, MODIFIED, DELETED', async () => {
  const ours = await engine.submit(helloManifest({ 'ogdc/recipe-id': 'r1' }));
  const other = await engine.submit(helloManifest());
  const name = ours.metadata.name!;
  await until('ADDED', () => events.some((e) => e.type === 'ADDED' && e.workflow.metadata.name === name));
  argo.setStatus(name, { phase: 'Running' });
  await until('Running', () => phaseOf(name) === 'Running');
  const modified = [...events].reverse().find((e) => e.type === 'MODIFIED');
  assert.ok(modified && modified.type === 'MODIFIED' && Number(modified.workflow.metadata.resourceVersion) > 1);
  await engine.delete(name);
  await until('DELETED', () => phaseOf(name) === 'gone');
  assert.equal(phaseOf(other.metadata.name!), undefined, 'a workflow without our label is never reported');
  const watchRequest = argo.requests.find((r) => r.path === '/api/v1/workflow-events/qgnet');
  assert.match(watchRequest?.query ?? '', /listOptions\.labelSelector=ogdc%2Frecipe-id/);
});

test('a dropped stream resumes after the last resource version and delivers what changed meanwhile', async () => {
  const name = (await engine.submit(helloManifest({ 'ogdc/recipe-id': 'r2' }))).metadata.name!;
  await until('ADDED', () => phaseOf(name) === 'Pending');
  const connects = engine.watchStats.connects;
  argo.watch.drop();
  argo.setStatus(name, { phase: 'Running' });
  await until('reconnect', () => engine.watchStats.connects > connects && argo.watch.open === 1);
  await until('Running after the resume', () => phaseOf(name) === 'Running');
  const resumed = [...argo.requests].reverse().find((r) => r.path === '/api/v1/workflow-events/qgnet');
  assert.match(resumed?.query ?? '', /listOptions\.resourceVersion=\d+/);
});

test('garbage lines are skipped and counted; later events still arrive', async () => {
  const name = (await engine.submit(helloManifest({ 'ogdc/recipe-id': 'r3' }))).metadata.name!;
  await until('ADDED', () => phaseOf(name) === 'Pending');
  const garbage = engine.watchStats.garbage;
  argo.watch.garble();
  argo.watch.garble('{"result":{"type":"EXPLODED","object":{}}}');
  argo.setStatus(name, { phase: 'Succeeded' });
  await until('Succeeded', () => phaseOf(name) === 'Succeeded');
  assert.equal(engine.watchStats.garbage, garbage + 2);
});

test('a stalled stream is caught by the safety-net list, which reopens the stream', async () => {
  const name = (await engine.submit(helloManifest({ 'ogdc/recipe-id': 'r4' }))).metadata.name!;
  await until('ADDED', () => phaseOf(name) === 'Pending');
  const connects = engine.watchStats.connects;
  argo.watch.stall(true);
  argo.setStatus(name, { phase: 'Failed' });
  await until('Failed from the list', () => phaseOf(name) === 'Failed');
  await until('a fresh stream', () => engine.watchStats.connects > connects);
  argo.setStatus(name, { phase: 'Error' });
  await until('Error from the new stream', () => phaseOf(name) === 'Error');
});

test('an Argo Server that is down is retried with back-off until it answers', async () => {
  const name = (await engine.submit(helloManifest({ 'ogdc/recipe-id': 'r5' }))).metadata.name!;
  argo.fail('down', 4);
  argo.watch.drop();
  argo.setStatus(name, { phase: 'Running' });
  await until('Running after the outage', () => phaseOf(name) === 'Running');
  await until('the stream back', () => argo.watch.open === 1);
});
