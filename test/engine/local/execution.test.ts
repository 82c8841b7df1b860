// Execution: deadlines, stop, missing commands, refused fields, parallelism, key-only artifacts, sandbox modes.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

const HAS_BWRAP = await bwrapWorks();

test('template activeDeadlineSeconds kills the pod with the kubelet message', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: deadline-}
spec:
  entrypoint: slow
  templates:
  - name: slow
    activeDeadlineSeconds: 1
    container: {image: busybox, command: [sleep, "30"]}
`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.message, 'Pod was active on the node longer than the specified deadline');
});

test('workflow activeDeadlineSeconds fails running steps with Step exceeded its deadline', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: wf-deadline-}
spec:
  entrypoint: main
  activeDeadlineSeconds: 1
  templates:
  - name: main
    steps:
    - - {name: slow, template: slow}
    - - {name: never, template: slow}
  - name: slow
    container: {image: busybox, command: [sleep, "30"]}
`),
  );
  const slow = nodeByDisplay(wf, 'slow');
  assert.equal(slow.phase, 'Failed');
  assert.equal(slow.message, 'Step exceeded its deadline');
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.message, `child '${slow.id}' failed`);
});

test('stop kills running pods: nodes and workflow end Failed with the stop strategy message', async (t) => {
  const { engine } = await harness(t);
  const submitted = await engine.submit(
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: stop-me-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: slow, template: slow}
  - name: slow
    container: {image: busybox, command: [sh, -c, "echo started; sleep 60"]}
`),
  );
  const name = submitted.metadata.name!;
  assert.equal(submitted.status?.phase, 'Running');
  // Wait for the process to start (its first log line), not for a time.
  for await (const line of engine.logs(name, { follow: true })) {
    if (line.content === 'started') break;
  }
  await engine.stop(name);
  const wf = await engine.get(name);
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.message, "Stopped with strategy 'Stop'");
  assert.equal(nodeByDisplay(wf, 'slow').phase, 'Failed');
  assert.equal(nodeByDisplay(wf, 'slow').message, "Stopped with strategy 'Stop'");
});

test('a command that is not installed fails the node naming the command', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: no-cmd-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: osgeo/gdal, command: [gdal-not-installed-xyz, --version]}
`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  assert.match(wf.status?.message ?? '', /"gdal-not-installed-xyz" not found/);
});

test('fields outside the local subset are refused at submit, naming the field', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const base = (extra: string) =>
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: refused-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo]}
${extra}
`);
  await assert.rejects(
    engine.submit(base(`  - name: res\n    resource: {action: create, manifest: "x"}`)),
    (err: unknown) =>
      err instanceof ManifestRejectedError &&
      err.field === 'spec.templates[1].resource' &&
      err.message === 'spec.templates[1].resource is not supported by the local engine; use the Argo engine (ARGO_WORKFLOWS_SERVICE_URL)',
  );
  await assert.rejects(
    engine.submit(base(`  - name: x\n    container: {image: a, command: ["{{=sprig.nope('2006', workflow.creationTimestamp)}}"]}`)),
    (err: unknown) =>
      err instanceof ManifestRejectedError &&
      err.field === 'spec.templates[1].container.command[0]' &&
      /function sprig\.nope\(\) is not supported by the local engine; use the Argo engine/.test(err.message),
  );
  await assert.rejects(
    engine.submit(base('  - {name: x, container: not-an-object}')),
    (err: unknown) => err instanceof ManifestRejectedError && /schema/.test(err.message),
  );
  assert.deepEqual(await engine.list(''), []);
});

test('spec.parallelism caps concurrent pods (counted through files the pods write)', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none', maxProcesses: 8 });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: par-}
spec:
  entrypoint: main
  parallelism: 2
  volumes: [{name: shared, persistentVolumeClaim: {claimName: par-count}}]
  templates:
  - name: main
    steps:
    - - {name: work, template: work, withSequence: {count: "6"}}
  - name: work
    script:
      image: busybox
      command: [sh]
      source: |
        d=/shared/running; mkdir -p $d; touch $d/$$
        ls $d | wc -l >> /shared/observed
        sleep 0.3
        ls $d | wc -l >> /shared/observed
        rm $d/$$
      volumeMounts: [{name: shared, mountPath: /shared}]
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const observed = (await readFile(path.join(dataDir, 'volumes', 'par-count', 'observed'), 'utf8')).trim().split('\n').map(Number);
  assert.equal(observed.length, 12);
  assert.ok(Math.max(...observed) <= 2, `at most 2 at once, saw ${Math.max(...observed)}`);
});

test('key-only artifacts read and write the local artifact store, raw or archived', async (t) => {
  const { engine } = await harness(t);
  await engine.putArtifact('inputs/config.json', '{"a": 1}\n');
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: keys-}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
      - {name: cfg, path: /input_dir/config.json, s3: {key: inputs/config.json}}
    container:
      image: busybox
      command: [sh, -c, "mkdir -p /output_dir && cat /input_dir/config.json > /output_dir/copy.json && echo ok > /output_dir/second"]
    outputs:
      artifacts:
      - {name: out, path: /output_dir, s3: {key: "results/{{workflow.name}}/"}, archive: {none: {}}}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const read = async (key: string) => {
    const chunks: Buffer[] = [];
    for await (const c of await engine.getArtifact(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  assert.equal(await read(`results/${wf.metadata.name}/copy.json`), '{"a": 1}\n');
  assert.equal(await read(`results/${wf.metadata.name}/second`), 'ok\n');
});

test('without a sandbox, declared paths are rewritten to per-node folders and one warning is logged', async (t) => {
  const { engine, logs, dataDir } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: rewrite-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: write, template: write}
    - - name: read
        template: read
        arguments: {artifacts: [{name: data, from: "{{steps.write.outputs.artifacts.data}}"}]}
  - name: write
    container: {image: busybox, command: [sh, -c, "mkdir -p /output_dir && echo payload > /output_dir/f.txt && echo $OUT"], env: [{name: OUT, value: /output_dir/f.txt}]}
    outputs: {artifacts: [{name: data, path: /output_dir}]}
  - name: read
    inputs: {artifacts: [{name: data, path: /input_dir}]}
    container: {image: busybox, command: [cat, /input_dir/f.txt]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const [written] = await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'write').id);
  assert.ok(written!.startsWith(path.join(dataDir, 'workflows', wf.metadata.name!, 'nodes')), written);
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'read').id), ['payload']);
  assert.equal(logs.filter((l) => /no sandbox/.test(l)).length, 1);
  assert.ok((await readdir(path.join(dataDir, 'workflows', wf.metadata.name!, 'nodes'))).length >= 2);
});

test(
  'with bubblewrap, the host is read-only and declared paths are writable',
  { skip: !HAS_BWRAP && 'bubblewrap is not usable here' },
  async (t) => {
    const { engine } = await harness(t, { sandbox: 'bwrap' });
    const wf = await run(
      engine,
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bwrap-}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, "mkdir /output_dir && echo x > /output_dir/a && echo written; touch /usr/ogdc-should-fail 2>/dev/null || echo read-only"]
    outputs: {parameters: [{name: a, valueFrom: {path: /output_dir/a}}]}
`),
    );
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.deepEqual(await logText(engine, wf.metadata.name!), ['written', 'read-only']);
    assert.deepEqual(wf.status?.nodes?.[wf.metadata.name!]?.outputs?.parameters, [{ name: 'a', value: 'x' }]);
  },
);

test('required inputs and variables are checked at submit like Argo does', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = (body: string) =>
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: vars-}
spec:
  entrypoint: main
  templates:
${body}
`);
  await assert.rejects(
    engine.submit(
      wf(
        `  - name: main\n    inputs: {parameters: [{name: message}]}\n    container: {image: a, command: [echo, "{{inputs.parameters.message}}"]}`,
      ),
    ),
    { name: 'ManifestRejectedError', message: 'spec.arguments.parameters: inputs.parameters.message was not supplied' },
  );
  await assert.rejects(engine.submit(wf(`  - name: main\n    container: {image: a, command: [echo, "{{inputs.parameters.mesage}}"]}`)), {
    name: 'ManifestRejectedError',
    message: 'spec.templates[0].container.command[1]: failed to resolve {{inputs.parameters.mesage}}',
  });
  await assert.rejects(
    engine.submit(
      wf(
        `  - name: main\n    steps:\n    - - {name: a, template: p}\n  - name: p\n    inputs: {parameters: [{name: m}]}\n    container: {image: a, command: [echo]}`,
      ),
    ),
    { name: 'ManifestRejectedError', message: 'spec.templates[0].steps[0][0]: inputs.parameters.m was not supplied' },
  );
  const ok = await run(
    engine,
    wf(
      `  - name: main\n    inputs: {parameters: [{name: message}]}\n    container: {image: a, command: [echo, "{{inputs.parameters.message}}"]}`,
    ),
    {
      message: 'given with -p',
    },
  );
  assert.equal(ok.status?.phase, 'Succeeded');
});
