// Argument artifacts' `subPath`: a file or folder inside the `from` artifact (Artifact.AppendToKey).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

const wf = (subPath: string, archive = 'archive: {none: {}}') =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sub-path-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - name: use
        template: use
        arguments:
          artifacts: [{name: in, from: "{{steps.make.outputs.artifacts.out}}", subPath: "${subPath}"}]
  - name: make
    container: {image: busybox, command: [sh, -c, 'mkdir -p /tmp/out/deep && echo inner > /tmp/out/deep/file.txt && echo top > /tmp/out/top.txt']}
    outputs: {artifacts: [{name: out, path: /tmp/out, ${archive}}]}
  - name: use
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: busybox, command: [sh, -c, 'if [ -d /tmp/in ]; then ls /tmp/in; else cat /tmp/in; fi']}
`);

test('subPath picks a file or a folder inside the from artifact; its key is the joined key', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const file = await run(engine, wf('deep/file.txt'));
  assert.equal(file.status?.phase, 'Succeeded');
  const use = nodeByDisplay(file, 'use');
  const made = nodeByDisplay(file, 'make').outputs?.artifacts?.[0] as { s3: { key: string } };
  assert.deepEqual(use.inputs?.artifacts?.[0]?.s3, { key: `${made.s3.key}/deep/file.txt` });
  assert.deepEqual((await logText(engine, file.metadata.name!, use.id)).join('\n'), 'inner');
  const dir = await run(engine, wf('deep'));
  assert.equal(dir.status?.phase, 'Succeeded');
  assert.deepEqual(await logText(engine, dir.metadata.name!, nodeByDisplay(dir, 'use').id), ['file.txt']);
});

test('subPath inside an archived artifact names nothing; an escaping subPath is refused at submit', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const archived = await run(engine, wf('top.txt', ''));
  assert.equal(archived.status?.phase, 'Failed');
  assert.equal(nodeByDisplay(archived, 'use').phase, 'Error');
  assert.match(nodeByDisplay(archived, 'use').message ?? '', /failed to load artifact 'in': key '.*\.tgz\/top\.txt' not found/);
  await assert.rejects(engine.submit(wf('../../other')), (err: unknown) => {
    assert.ok(err instanceof ManifestRejectedError);
    assert.equal(err.field, 'spec.templates[0].steps[1][0].arguments.artifacts[0].subPath');
    return true;
  });
});
