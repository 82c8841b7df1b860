// containerSet templates (container_set_template.go, emissary.go): containers of one pod run as their
// dependencies allow, with Container nodes named `<pod node>.<container>`; Argo's container-set examples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { example, harness, logText, manifest, nodeByDisplay, nodes, run } from './helpers.ts';

const setWf = (containers: string, setExtra = '') =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: cs-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: group, template: group}
    - - {name: after, template: after}
  - name: group
    volumes: [{name: work, emptyDir: {}}]
    containerSet:
      volumeMounts: [{name: work, mountPath: /work}]${setExtra}
      containers:
${containers}
  - name: after
    container: {image: busybox, command: [echo, after]}
`);

test("Argo's graph example: Container nodes named and linked as the dependencies say", async (t) => {
  const { engine } = await harness(t);
  const wf = await run(engine, await example('container-set-template/graph-workflow'));
  assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(wf.status?.nodes));
  const name = wf.metadata.name!;
  const pod = nodeByDisplay(wf, name);
  assert.equal(pod.type, 'Pod');
  const byName = (n: string) => nodes(wf).find((x) => x.name === `${name}.${n}`)!;
  for (const c of ['a', 'b', 'c', 'd']) {
    assert.equal(byName(c).type, 'Container');
    assert.equal(byName(c).phase, 'Succeeded');
    assert.equal(byName(c).boundaryID, pod.id);
    assert.equal(byName(c).displayName, c);
  }
  assert.deepEqual(pod.children, [byName('a').id]);
  assert.deepEqual(byName('a').children, [byName('b').id, byName('c').id]);
  assert.deepEqual(byName('b').children, [byName('d').id]);
  assert.deepEqual(byName('c').children, [byName('d').id]);
});

test('a container runs once its dependencies exit 0; the next step follows the last containers', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    setWf(`      - {name: a, image: busybox, command: [sh, -c, 'echo a >> /work/order']}
      - {name: b, image: busybox, dependencies: [a], command: [sh, -c, 'echo b >> /work/order']}
      - {name: main, image: busybox, dependencies: [b], command: [sh, -c, 'echo main >> /work/order; cat /work/order']}`),
  );
  assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(wf.status?.nodes));
  const group = nodeByDisplay(wf, 'group');
  assert.equal(group.outputs?.exitCode, '0');
  assert.match((await logText(engine, wf.metadata.name!, group.id)).join('\n'), /a\n(.*)b\n(.*)main/);
  const main = nodes(wf).find((n) => n.name === `${group.name}.main`)!;
  const nextGroup = nodes(wf).find((n) => n.type === 'StepGroup' && n.name.endsWith('[1]'))!;
  assert.deepEqual(main.children, [nextGroup.id], 'the next step group hangs off the last container');
});

test("a failed container fails the pod; its dependents never run and end Error with the emissary's message", async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    setWf(`      - {name: a, image: busybox, command: [sh, -c, 'exit 3']}
      - {name: main, image: busybox, dependencies: [a], command: [sh, -c, 'echo ran > /work/ran']}`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  const group = nodeByDisplay(wf, 'group');
  assert.equal(group.phase, 'Failed');
  assert.equal(group.message, 'a: Error (exit code 3)');
  const a = nodes(wf).find((n) => n.name === `${group.name}.a`)!;
  const main = nodes(wf).find((n) => n.name === `${group.name}.main`)!;
  assert.equal(a.phase, 'Failed');
  assert.equal(a.message, 'a: Error (exit code 3): ');
  assert.equal(main.phase, 'Error');
  assert.equal(main.message, 'main: Error (exit code 64): dependency "a" exited with non-zero code: 3');
});

test('containerSet.retryStrategy restarts a failed container; its dependents then run', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    setWf(
      `      - {name: flaky, image: busybox, command: [sh, -c, 'echo x >> /work/tries; test $(wc -l < /work/tries) -ge 2']}
      - {name: main, image: busybox, dependencies: [flaky], command: [cat, /work/tries]}`,
      '\n      retryStrategy: {retries: 3}',
    ),
  );
  assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(wf.status?.nodes));
  const group = nodeByDisplay(wf, 'group');
  assert.match((await logText(engine, wf.metadata.name!, group.id)).join('\n'), /x\n(.*)x/);
});

test('containerSet graphs Argo refuses are refused at submit, naming the field', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const cases: Array<[string, string, RegExp]> = [
    [
      `      - {name: a, image: busybox, command: ["true"], dependencies: [b]}
      - {name: b, image: busybox, command: ["true"], dependencies: [a]}`,
      'spec.templates[1].containerSet.containers',
      /containers dependency cycle detected: a->b->a/,
    ],
    [
      `      - {name: a, image: busybox, command: ["true"], dependencies: [z]}`,
      'spec.templates[1].containerSet.containers[0].dependencies',
      /dependency 'z' not defined/,
    ],
    [
      `      - {name: a, image: some/image}`,
      'spec.templates[1].containerSet.containers[0].command',
      /a command is required.*use the Argo engine/,
    ],
  ];
  for (const [containers, field, message] of cases) {
    await assert.rejects(engine.submit(setWf(containers)), (err: Error) => {
      assert.ok(err instanceof ManifestRejectedError, err.message);
      assert.equal(err.field, field);
      assert.match(err.message, message);
      return true;
    });
  }
});
