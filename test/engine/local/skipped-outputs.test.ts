// Outputs of Skipped/Omitted producers (SEMANTICS §2): the producer's valueFrom.default, else absent — a pure
// {{ref}} argument lets the consumer's input default apply, anything else fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

const producer = `
  - name: produce
    container: {image: alpine, command: [sh, -c, "echo made > /tmp/out"]}
    outputs:
      parameters:
      - {name: with-default, valueFrom: {path: /tmp/out, default: producer-default}}
      - {name: bare, valueFrom: {path: /tmp/out}}
  - name: print
    inputs: {parameters: [{name: m, default: consumer-default}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
  - name: print-strict
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}`;

function stepsWorkflow(consumers: string): ReturnType<typeof manifest> {
  return manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: skipped-outputs-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: maybe, template: produce, when: "no == yes"}
    - ${consumers}
${producer}
`);
}

test("a skipped step's output reads as its valueFrom.default, or lets the consumer's input default apply", async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    stepsWorkflow(`- {name: a, template: print, arguments: {parameters: [{name: m, value: "{{steps.maybe.outputs.parameters.with-default}}"}]}}
      - {name: b, template: print, arguments: {parameters: [{name: m, value: "{{ steps.maybe.outputs.parameters.bare }}"}]}}`),
  );
  assert.equal(wf.status?.phase, 'Succeeded', wf.status?.message);
  assert.equal(nodeByDisplay(wf, 'maybe').phase, 'Skipped');
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'a').id), ['producer-default']);
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'b').id), ['consumer-default']);
});

test('an absent output inside a longer value fails the step group with Argo message', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    stepsWorkflow(`- {name: a, template: print, arguments: {parameters: [{name: m, value: "x-{{steps.maybe.outputs.parameters.bare}}"}]}}`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  const message =
    'unable to substitute {{steps.maybe.outputs.parameters.bare}}: output is an absent optional (skipped/omitted node with no default)';
  assert.equal(wf.status?.message, message);
  assert.equal(nodeByDisplay(wf, '[1]').phase, 'Error');
});

test('an absent output passed to an input without default fails that node', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    stepsWorkflow(
      `- {name: a, template: print-strict, arguments: {parameters: [{name: m, value: "{{steps.maybe.outputs.parameters.bare}}"}]}}`,
    ),
  );
  assert.equal(wf.status?.phase, 'Failed');
  const a = nodeByDisplay(wf, 'a');
  assert.equal(a.phase, 'Error');
  assert.equal(a.message, 'inputs.parameters.m: argument references an absent optional (skipped/omitted node output with no default)');
});

test("an Omitted task's outputs follow the same rules in a DAG", async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: omitted-outputs-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: fail, template: fail}
      - {name: maybe, template: produce, depends: fail.Succeeded}
      - name: use
        template: print
        depends: maybe.Omitted
        arguments: {parameters: [{name: m, value: "{{tasks.maybe.outputs.parameters.with-default}}/{{tasks.maybe.outputs.parameters.with-default}}"}]}
      - name: use-bare
        template: print
        depends: maybe.Omitted
        arguments: {parameters: [{name: m, value: "{{tasks.maybe.outputs.parameters.bare}}"}]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 1"]}
${producer}
`),
  );
  assert.equal(nodeByDisplay(wf, 'maybe').phase, 'Omitted');
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'use').id), ['producer-default/producer-default']);
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'use-bare').id), ['consumer-default']);
});
