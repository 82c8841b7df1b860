// DAG semantics beyond the examples: depends logic, omission, failure propagation (SEMANTICS §6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, manifest, nodeByDisplay, nodes, run } from './helpers.ts';

const TEMPLATES = `
  - name: ok
    container: {image: busybox, command: [echo], args: ["hello world"]}
  - name: fail
    container: {image: alpine, command: [sh, -c], args: ["echo intentional failure; exit 1"]}`;

test('dag-continue-on-fail: D runs on B.Failed, G is omitted and inherits E failure, the workflow fails with no message', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-contiue-on-fail-}
spec:
  entrypoint: workflow
  templates:
  - name: workflow
    dag:
      tasks:
      - {name: A, template: ok}
      - {name: B, depends: "A", template: fail}
      - {name: C, depends: "A", template: ok}
      - {name: D, depends: "B.Failed && C", template: ok}
      - {name: E, depends: "A", template: fail}
      - {name: F, depends: "A", template: ok}
      - {name: G, depends: "E && F", template: ok}
${TEMPLATES}
`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.message, undefined);
  assert.equal(wf.status?.progress, '4/6');
  assert.equal(nodeByDisplay(wf, 'B').phase, 'Failed');
  assert.equal(nodeByDisplay(wf, 'E').phase, 'Failed');
  assert.equal(nodeByDisplay(wf, 'D').phase, 'Succeeded');
  const g = nodeByDisplay(wf, 'G');
  assert.equal(g.type, 'Skipped');
  assert.equal(g.phase, 'Omitted');
  assert.equal(g.message, 'omitted: depends condition not met');
  const root = wf.status!.nodes![wf.metadata.name!]!;
  assert.equal(root.phase, 'Failed');
  assert.equal(root.message, undefined);
});

test('a failing task that reaches a target fails the DAG; its dependents are omitted', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dag-fail}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: A, template: fail}
      - {name: B, dependencies: [A], template: ok}
      - {name: C, template: ok}
${TEMPLATES}
`),
  );
  assert.equal(wf.metadata.name, 'dag-fail');
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(nodeByDisplay(wf, 'B').phase, 'Omitted');
  assert.equal(nodeByDisplay(wf, 'C').phase, 'Succeeded');
});

test('depends with ||, ! and parentheses, and a target limiting what runs', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-logic-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      target: E
      tasks:
      - {name: A, template: fail}
      - {name: B, template: ok}
      - {name: C, depends: "(A.Succeeded || B.Succeeded) && !A.Skipped", template: ok}
      - {name: D, depends: "A.Succeeded", template: ok}
      - {name: E, depends: "C && (D.Omitted || D.Skipped)", template: ok}
      - {name: X, template: ok}
${TEMPLATES}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'C').phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'D').phase, 'Omitted');
  assert.equal(nodeByDisplay(wf, 'E').phase, 'Succeeded');
  assert.ok(!nodes(wf).some((n) => n.displayName === 'X'), 'X is not an ancestor of the target');
});

test('a DAG loop makes a TaskGroup whose children read tasks outputs', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-loop-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: gen, template: gen}
      - name: each
        depends: gen
        template: echo
        arguments: {parameters: [{name: m, value: "{{item}}"}]}
        withParam: "{{tasks.gen.outputs.result}}"
  - name: gen
    script: {image: alpine, command: [sh], source: 'echo ''["x", "y"]'''}
  - name: echo
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const group = nodeByDisplay(wf, 'each');
  assert.equal(group.type, 'TaskGroup');
  assert.equal(group.children?.length, 2);
  assert.equal(nodeByDisplay(wf, 'each(0:x)').phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'each(1:y)').boundaryID, wf.metadata.name);
});
