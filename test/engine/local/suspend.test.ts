// Suspend templates and resume as Argo's controller and CLI do them (operator.go:executeSuspend, util.go:ResumeWorkflow).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResumeRejectedError, WorkflowCompletedError, WorkflowNotSuspendedError } from '../../../src/engine/errors.ts';
import type { LocalEngine } from '../../../src/engine/local/index.ts';
import type { NodeStatus } from '../../../src/engine/types.ts';
import { example, harness, logText, manifest, nodeByDisplay } from './helpers.ts';

/** Waits (polling with a deadline) until the workflow has a Running Suspend node named `display`. */
async function suspendedNode(engine: LocalEngine, name: string, display: string): Promise<NodeStatus> {
  const deadline = Date.now() + 15000;
  for (;;) {
    const wf = await engine.get(name);
    const node = Object.values(wf.status?.nodes ?? {}).find((n) => n.displayName === display && n.type === 'Suspend');
    if (node?.phase === 'Running') return node;
    if (Date.now() > deadline) throw new Error(`no suspended ${display}: ${JSON.stringify(wf.status?.nodes)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('suspend-template-outputs: the node waits Running; resume with a value sets its supplied output for the next step', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const name = (await engine.submit(await example('suspend-template-outputs'))).metadata.name!;
  const node = await suspendedNode(engine, name, 'approve');
  assert.equal(node.templateName, 'approve');
  assert.equal((await engine.get(name)).status?.phase, 'Running');
  // A supplied output without a default cannot resume empty, and nothing changes (Argo's message).
  await assert.rejects(
    engine.resume(name),
    (e: unknown) =>
      e instanceof ResumeRejectedError &&
      /raw output parameter 'message' has not been set and does not have a default value/.test(e.message),
  );
  await assert.rejects(engine.resume(name, { parameters: { other: 'x' } }), /node is not expecting output parameter 'other'/);
  assert.equal((await suspendedNode(engine, name, 'approve')).phase, 'Running');
  await engine.resume(name, { parameters: { message: 'approved by ann' } });
  const wf = await engine.wait(name);
  assert.equal(wf.status?.phase, 'Succeeded');
  const approve = nodeByDisplay(wf, 'approve');
  assert.equal(approve.phase, 'Succeeded');
  assert.deepEqual(approve.outputs?.parameters, [{ name: 'message', value: 'approved by ann' }]);
  assert.ok((await logText(engine, name)).includes('approved by ann'));
  await assert.rejects(engine.resume(name), WorkflowNotSuspendedError);
});

test('intermediate-parameters: an output without a default takes the default of the input of the same name', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const name = (await engine.submit(await example('intermediate-parameters'))).metadata.name!;
  await suspendedNode(engine, name, 'approval');
  await engine.resume(name);
  const wf = await engine.wait(name);
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.deepEqual(nodeByDisplay(wf, 'approval').outputs?.parameters, [{ name: 'approve', value: 'NO' }]);
  assert.equal(nodeByDisplay(wf, 'deploy-prod').phase, 'Skipped');
});

test('a suspend with a duration resumes by itself; globalName puts its output in workflow.outputs', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const name = (
    await engine.submit(
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: delay-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: wait, template: wait}
    - - {name: after, template: echo, arguments: {parameters: [{name: m, value: "{{steps.wait.outputs.parameters.answer}}"}]}}
  - name: wait
    suspend: {duration: "1s"}
    outputs:
      parameters:
      - {name: answer, globalName: answer, valueFrom: {supplied: {}, default: "timed out"}}
  - name: echo
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`),
    )
  ).metadata.name!;
  const wf = await engine.wait(name);
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.deepEqual(wf.status?.outputs?.parameters, [{ name: 'answer', value: 'timed out' }]);
  assert.deepEqual(await logText(engine, name), ['timed out']);
});

test('spec.suspend holds the workflow before its first node; a stop fails a waiting suspend node', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const held = manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: held-}
spec:
  entrypoint: main
  suspend: true
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
`);
  const name = (await engine.submit(held)).metadata.name!;
  await new Promise((r) => setImmediate(r));
  const before = await engine.get(name);
  assert.equal(before.spec.suspend, true);
  assert.deepEqual(before.status?.nodes, {});
  await engine.resume(name);
  const wf = await engine.wait(name);
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(wf.spec.suspend, undefined);

  const approve = (await engine.submit(await example('suspend-template'))).metadata.name!;
  await suspendedNode(engine, approve, 'approve');
  await engine.stop(approve);
  const stopped = await engine.wait(approve);
  assert.equal(stopped.status?.phase, 'Failed');
  assert.equal(nodeByDisplay(stopped, 'approve').phase, 'Failed');
  assert.equal(nodeByDisplay(stopped, 'approve').message, "Stopped with strategy 'Stop'");
});

test('a suspend node past the workflow deadline fails with Argo message', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const name = (
    await engine.submit(
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: deadline-}
spec:
  entrypoint: wait
  activeDeadlineSeconds: 1
  templates:
  - name: wait
    suspend: {}
`),
    )
  ).metadata.name!;
  const wf = await engine.wait(name);
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(nodeByDisplay(wf, name).message, 'Step exceeded its deadline');
});

test('suspend of a running workflow: the running step finishes, the next waits for resume; a finished one is refused', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: pause-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: wait}
    - - {name: second, template: hello}
  - name: wait
    container: {image: alpine, command: [sleep, "2"]}
  - name: hello
    container: {image: alpine, command: [echo, hi]}
`);
  const name = (await engine.submit(wf)).metadata.name!;
  for (let i = 0; i < 600; i++) {
    const now = await engine.get(name);
    if (Object.values(now.status?.nodes ?? {}).some((n) => n.displayName === 'first' && n.phase === 'Running')) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await engine.suspend(name);
  assert.equal((await engine.get(name)).spec.suspend, true);
  let held = await engine.get(name);
  for (let i = 0; i < 1200 && nodeByDisplay(held, 'first').phase !== 'Succeeded'; i++) {
    await new Promise((r) => setTimeout(r, 25));
    held = await engine.get(name);
  }
  assert.equal(nodeByDisplay(held, 'first').phase, 'Succeeded', 'the running step goes on');
  await new Promise((r) => setTimeout(r, 200));
  held = await engine.get(name);
  assert.equal(
    Object.values(held.status?.nodes ?? {}).some((n) => n.displayName === 'second'),
    false,
    'no new step starts while suspended',
  );
  assert.equal(held.status?.phase, 'Running');
  await engine.resume(name);
  const done = await engine.wait(name);
  assert.equal(done.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(done, 'second').phase, 'Succeeded');
  await assert.rejects(engine.suspend(name), WorkflowCompletedError);
});
