// Artifact keys of a workflow the service submits (DESIGN §9): it reads only its own prefix and its uploaded inputs,
// writes only under its own prefix; literal keys elsewhere are refused at submit naming the field, substituted ones
// fail the node. A workflow without the submitter label (run-workflow) keeps plain keys.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import type { Workflow } from '../../../src/engine/types.ts';
import { harness, manifest, nodeByDisplay } from './helpers.ts';

/** A one-step workflow reading `inKey` (if any) into /in.txt and writing /out.txt to `outKey` (if any). */
const wf = (opts: { name?: string; labels?: string; inKey?: string; outKey?: string; param?: string }) =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  ${opts.name ? `name: ${opts.name}` : 'generateName: scope-'}
  ${opts.labels ?? ''}
spec:
  entrypoint: main
  arguments: {parameters: [{name: k, value: '${opts.param ?? 'x'}'}]}
  templates:
  - name: main
    inputs:
      artifacts: [${opts.inKey ? `{name: in, path: /in.txt, s3: {key: '${opts.inKey}'}}` : ''}]
    outputs:
      artifacts: [{name: out, path: /out.txt${opts.outKey ? `, archive: {none: {}}, s3: {key: '${opts.outKey}'}` : ''}}]
    container:
      image: busybox
      command: [sh, -c, "${opts.inKey ? 'cat /in.txt > /out.txt' : 'echo mine > /out.txt'}"]
`);
const SUBMITTER = 'labels: {ogdc/submitter: alice}';

const rejected = (field: RegExp) => (err: unknown) =>
  err instanceof ManifestRejectedError && field.test(err.message) && /outside this workflow's artifacts/.test(err.message);

test('a submitted workflow reads its own uploads and writes its own prefix; other keys are refused naming the field', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none' });
  // Another run's artifact and another upload, as the store holds them.
  await engine.putArtifact('bob-run/bob-run/out.txt', 'bob-secret\n');
  await engine.putArtifact('ogdc-inputs/bob-upload/inputs.tsv', 'bob-inputs\n');
  await engine.putArtifact('ogdc-inputs/alice-upload/inputs.tsv', 'alice-inputs\n');
  const opts = { artifactReadPrefixes: ['ogdc-inputs/alice-upload'] };

  // Own upload read, own prefix written (by a tag and literally).
  const ok = await engine.submit(
    wf({ name: 'alice-run', labels: SUBMITTER, inKey: 'ogdc-inputs/alice-upload/inputs.tsv', outKey: 'alice-run/copy.txt' }),
    opts,
  );
  const done = await engine.wait(ok.metadata.name!);
  assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.nodes));
  assert.equal(await readFile(path.join(dataDir, 'artifacts', 'alice-run', 'copy.txt'), 'utf8'), 'alice-inputs\n');
  const tagged = await engine.wait(
    (await engine.submit(wf({ labels: SUBMITTER, outKey: '{{workflow.name}}/t.txt' }), opts)).metadata.name!,
  );
  assert.equal(tagged.status?.phase, 'Succeeded', JSON.stringify(tagged.status?.nodes));

  // Literal keys of another run or another upload: refused at submit, naming the field.
  await assert.rejects(
    engine.submit(wf({ labels: SUBMITTER, inKey: 'bob-run/bob-run/out.txt' }), opts),
    rejected(/spec\.templates\[0\]\.inputs\.artifacts\[0\]\.s3\.key/),
  );
  await assert.rejects(
    engine.submit(wf({ labels: SUBMITTER, inKey: 'ogdc-inputs/bob-upload/inputs.tsv' }), opts),
    rejected(/inputs\.artifacts\[0\]\.s3\.key/),
  );
  await assert.rejects(
    engine.submit(wf({ labels: SUBMITTER, outKey: 'bob-run/bob-run/out.txt' }), opts),
    rejected(/spec\.templates\[0\]\.outputs\.artifacts\[0\]\.s3\.key/),
  );
  // `ogdc-inputs/alice-upload` may be read, never written; `./`, `//` do not get round the prefix.
  await assert.rejects(
    engine.submit(wf({ labels: SUBMITTER, outKey: 'ogdc-inputs/alice-upload/inputs.tsv' }), opts),
    rejected(/outputs\.artifacts\[0\]\.s3\.key/),
  );
  await assert.rejects(
    engine.submit(wf({ labels: SUBMITTER, inKey: './/bob-run/bob-run/out.txt' }), opts),
    rejected(/inputs\.artifacts\[0\]\.s3\.key/),
  );
  // A workflow named after the uploads' folder would own every upload.
  await assert.rejects(
    engine.submit(wf({ name: 'ogdc-inputs', labels: SUBMITTER }), opts),
    (err: unknown) => err instanceof ManifestRejectedError && /^metadata\.name: /.test(err.message),
  );
  // The label alone confines too (no read prefixes given).
  await assert.rejects(
    engine.submit(wf({ labels: SUBMITTER, inKey: 'ogdc-inputs/alice-upload/inputs.tsv' })),
    rejected(/inputs\.artifacts\[0\]\.s3\.key/),
  );

  // A key made by a parameter: the node fails naming the key, nothing is written there.
  const viaParam = async (w: Workflow) => {
    const end = await engine.wait((await engine.submit(w, opts)).metadata.name!);
    assert.match(String(end.status?.phase), /^(Failed|Error)$/);
    return nodeByDisplay(end, end.metadata.name!).message ?? '';
  };
  assert.match(
    await viaParam(wf({ labels: SUBMITTER, param: 'bob-run/bob-run/out.txt', outKey: '{{workflow.parameters.k}}' })),
    /output artifact 'out': s3\.key 'bob-run\/bob-run\/out\.txt' is outside/,
  );
  assert.match(
    await viaParam(wf({ labels: SUBMITTER, param: 'bob-run/bob-run/out.txt', inKey: '{{workflow.parameters.k}}' })),
    /input artifact 'in': s3\.key 'bob-run\/bob-run\/out\.txt' is outside/,
  );
  assert.equal(await readFile(path.join(dataDir, 'artifacts', 'bob-run', 'bob-run', 'out.txt'), 'utf8'), 'bob-secret\n');
});

test('a workflow without the submitter label (run-workflow) keeps plain keys', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none' });
  await engine.putArtifact('shared/in.txt', 'plain\n');
  const done = await engine.wait((await engine.submit(wf({ inKey: 'shared/in.txt', outKey: 'elsewhere/out.txt' }))).metadata.name!);
  assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.nodes));
  assert.equal(await readFile(path.join(dataDir, 'artifacts', 'elsewhere', 'out.txt'), 'utf8'), 'plain\n');
});

test('a link a step saved in a folder output never leads a later key into another run or the host', async (t) => {
  // Outside /tmp, which an unsandboxed step sees as its own.
  const dataDir = await mkdtemp('/var/tmp/ogdc-scope-');
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const { engine } = await harness(t, { sandbox: 'none', dataDir });
  await engine.putArtifact('bob-run/out.txt', 'bob\n');
  const bobDir = path.join(dataDir, 'artifacts', 'bob-run');
  const w = manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: links-, labels: {ogdc/submitter: alice}}
spec:
  entrypoint: main
  templates:
  - name: main
    outputs:
      artifacts:
      - {name: d, path: /out, archive: {none: {}}, s3: {key: '{{workflow.name}}/d'}}
      - {name: x, path: /x.txt, archive: {none: {}}, s3: {key: '{{workflow.name}}/d/l/pwned.txt'}}
    container:
      image: busybox
      command: [sh, -c, "mkdir -p /out && ln -s ${bobDir} /out/l && echo pwned > /x.txt"]
`);
  const end = await engine.wait((await engine.submit(w)).metadata.name!);
  assert.match(String(end.status?.phase), /^(Failed|Error)$/);
  assert.match(JSON.stringify(end.status?.nodes), /passes through a symbolic link/);
  assert.deepEqual(await readdir(bobDir), ['out.txt']);
});
