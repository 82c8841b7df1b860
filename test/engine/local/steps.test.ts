// Steps semantics: failure propagation, retries, when errors, empty loops, outputs (SEMANTICS §5, §7, §9, §10).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, manifest, nodeByDisplay, nodes, run } from './helpers.ts';

test('a failed step fails its group and the steps node; later groups are never created', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: steps-fail-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: fail}
    - - {name: second, template: ok}
  - name: ok
    container: {image: busybox, command: [echo, hi]}
  - name: fail
    container: {image: busybox, command: [sh, -c, "exit 3"]}
`),
  );
  const first = nodeByDisplay(wf, 'first');
  assert.equal(first.phase, 'Failed');
  assert.equal(first.message, 'main: Error (exit code 3)');
  assert.equal(first.outputs?.exitCode, '3');
  const group = nodeByDisplay(wf, '[0]');
  assert.equal(group.phase, 'Failed');
  assert.equal(group.message, `child '${first.id}' failed`);
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.message, `child '${first.id}' failed`);
  assert.ok(!nodes(wf).some((n) => n.displayName === '[1]' || n.displayName === 'second'));
});

test('retryStrategy.limit makes attempts NAME(0), NAME(1)… and ends with No more retries left', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: retry-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: flaky, template: fail}
  - name: fail
    retryStrategy: {limit: "2"}
    container: {image: busybox, command: [sh, -c, "echo attempt {{retries}}; exit 1"]}
`),
  );
  const retry = nodeByDisplay(wf, 'flaky');
  assert.equal(retry.type, 'Retry');
  assert.equal(retry.phase, 'Failed');
  assert.equal(retry.message, 'No more retries left');
  const attempts = ['flaky(0)', 'flaky(1)', 'flaky(2)'].map((n) => nodeByDisplay(wf, n));
  assert.deepEqual(
    retry.children,
    attempts.map((a) => a.id),
  );
  for (const a of attempts) assert.equal(a.message, 'main: Error (exit code 1)');
  assert.equal(wf.status?.progress, '0/3');
  assert.equal(wf.status?.phase, 'Failed');
});

test('a retried step that succeeds on a later attempt succeeds with that attempt outputs', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: retry-ok-}
spec:
  entrypoint: main
  volumes: [{name: state, persistentVolumeClaim: {claimName: retry-state}}]
  templates:
  - name: main
    steps:
    - - {name: flaky, template: flaky}
    - - {name: show, template: show, arguments: {parameters: [{name: v, value: "{{steps.flaky.outputs.result}}"}]}}
  - name: flaky
    retryStrategy: {limit: 3, retryPolicy: Always}
    script:
      image: busybox
      command: [sh]
      source: |
        n=$(cat /state/n 2>/dev/null || echo 0); echo $((n+1)) > /state/n
        [ "$n" -ge 1 ] && echo "done after $n" || exit 1
      volumeMounts: [{name: state, mountPath: /state}]
  - name: show
    inputs: {parameters: [{name: v}]}
    container: {image: busybox, command: [echo, "{{inputs.parameters.v}}"]}
`),
  );
  assert.ok(dataDir);
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'flaky').phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'flaky(0)').phase, 'Failed');
  assert.equal(nodeByDisplay(wf, 'flaky(1)').phase, 'Succeeded');
  assert.deepEqual(nodeByDisplay(wf, 'show').inputs?.parameters, [{ name: 'v', value: 'done after 1' }]);
  assert.equal(wf.status?.progress, '2/3');
});

test('an unparsable when gives an Error node and fails the workflow with the reason', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bad-when-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: x, template: ok, when: "hello world == hello-world"}
  - name: ok
    container: {image: busybox, command: [echo, hi]}
`),
  );
  const x = nodeByDisplay(wf, 'x');
  assert.equal(x.type, 'Skipped');
  assert.equal(x.phase, 'Error');
  assert.match(x.message ?? '', /^Invalid 'when' expression 'hello world == hello-world'/);
  assert.equal(nodeByDisplay(wf, '[0]').phase, 'Error');
  assert.equal(wf.status?.phase, 'Failed');
  assert.match(wf.status?.message ?? '', /Invalid 'when' expression/);
});

test('an empty withParam gives one Skipped node; outputs with globalName reach status.outputs', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: outputs-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: none, template: ok, withParam: "[]"}
    - - {name: make, template: make}
    outputs:
      parameters:
      - name: answer
        globalName: final-answer
        valueFrom: {parameter: "{{steps.make.outputs.parameters.v}}"}
  - name: ok
    container: {image: busybox, command: [echo, hi]}
  - name: make
    container: {image: busybox, command: [sh, -c, "printf '42\\n' > /tmp/v"]}
    outputs:
      parameters: [{name: v, valueFrom: {path: /tmp/v}}]
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const none = nodeByDisplay(wf, 'none');
  assert.equal(none.type, 'Skipped');
  assert.equal(none.message, 'Skipped, empty params');
  assert.deepEqual(wf.status?.nodes?.[wf.metadata.name!]?.outputs?.parameters, [{ name: 'answer', value: '42' }]);
  assert.deepEqual(wf.status?.outputs?.parameters, [{ name: 'final-answer', value: '42' }]);
});

test('retryStrategy.expression stops retrying when it is false for the last attempt', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: retry-expr-}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs: {parameters: [{name: safe, value: "false"}]}
    retryStrategy:
      limit: 5
      expression: 'asInt(lastRetry.exitCode) > 1 && lastRetry.status == "Failed" && ({{inputs.parameters.safe}} == true || lastRetry.message matches "exit code 3")'
    container: {image: busybox, command: [sh, -c, "exit 3"]}
`),
  );
  const retry = wf.status!.nodes![wf.metadata.name!]!;
  assert.equal(retry.type, 'Retry');
  assert.equal(retry.message, 'No more retries left');
  assert.equal(retry.children?.length, 6);
  const once = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: retry-expr-}
spec:
  entrypoint: main
  templates:
  - name: main
    retryStrategy: {limit: 5, expression: "asInt(lastRetry.exitCode) > 1"}
    container: {image: busybox, command: [sh, -c, "exit 1"]}
`),
  );
  const root = once.status!.nodes![once.metadata.name!]!;
  assert.equal(root.message, 'retryStrategy.expression evaluated to false');
  assert.equal(root.children?.length, 1);
  assert.equal(once.status?.phase, 'Failed');
});
