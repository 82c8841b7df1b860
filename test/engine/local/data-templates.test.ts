// `data` templates as Argo runs them (workflow/data/data.go): object keys under artifactPaths, then the transformations.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { example, harness, logText, manifest, nodeByDisplay, nodes } from './helpers.ts';

async function putObjects(dataDir: string, files: Record<string, string>): Promise<void> {
  for (const [key, body] of Object.entries(files)) {
    const file = path.join(dataDir, 'artifacts', key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
  }
}

test('data: keys under the prefix, filtered and mapped, become outputs.result; steps fan out over it and read each object', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none' });
  await putObjects(dataDir, {
    'logs/b/main.log': 'second log\n',
    'logs/a/main.log': 'first log\n',
    'logs/a/other.txt': 'not a log\n',
    'elsewhere/c/main.log': 'outside the prefix\n',
  });
  const name = (
    await engine.submit(
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: data-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: list
        template: list
    - - name: count
        template: count
    - - name: show
        template: show
        withParam: "{{steps.list.outputs.result}}"
        arguments:
          artifacts: [{name: file, s3: {key: "{{item}}"}}]
  - name: list
    data:
      source: {artifactPaths: {name: logs, s3: {bucket: my-bucket, key: logs}}}
      transformation:
      - expression: 'filter(data, {# endsWith "main.log"})'
  - name: count
    data:
      source: {artifactPaths: {name: logs, s3: {key: logs}}}
      transformation:
      - expression: 'map(data, {len(#)})'
      - expression: 'len(data)'
  - name: show
    inputs: {artifacts: [{name: file, path: /tmp/file}]}
    container: {image: alpine, command: [cat, /tmp/file]}
`),
    )
  ).metadata.name!;
  const done = await engine.wait(name);
  assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.nodes));
  const list = nodeByDisplay(done, 'list');
  assert.equal(list.type, 'Pod');
  assert.equal(list.outputs?.result, '["logs/a/main.log","logs/b/main.log"]');
  assert.equal(nodeByDisplay(done, 'count').outputs?.result, '3');
  assert.deepEqual(
    nodes(done)
      .filter((n) => n.templateName === 'show')
      .map((n) => n.displayName)
      .sort(),
    ['show(0:logs/a/main.log)', 'show(1:logs/b/main.log)'],
  );
  const logs = (await logText(engine, name)).join('\n');
  assert.ok(logs.includes('first log') && logs.includes('second log') && !logs.includes('outside the prefix'), logs);
});

test('data: a transformation that fails at run time errors the node with Argo message; a bad one is refused at submit', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = (expression: string) =>
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: data-}
spec:
  entrypoint: list
  templates:
  - name: list
    data:
      source: {artifactPaths: {name: logs, s3: {key: nothing-here}}}
      transformation:
      - expression: '${expression}'
`);
  const done = await engine.wait((await engine.submit(wf('data.missing.deeper'))).metadata.name!);
  assert.equal(done.status?.phase, 'Error');
  assert.match(
    done.status?.nodes?.[done.metadata.name!]?.message ?? '',
    /^unable to process data template: unable to process data transformation: error processing data step 0: /,
  );
  await assert.rejects(
    engine.submit(wf('filter(data, ')),
    (e: unknown) => e instanceof ManifestRejectedError && /spec\.templates\[0\]\.data\.transformation\[0\]\.expression/.test(e.message),
  );
});

test('data-transformations example: an empty store lists nothing, so no log is processed and it succeeds', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const done = await engine.wait((await engine.submit(await example('data-transformations'))).metadata.name!);
  assert.equal(done.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(done, 'list-log-files').outputs?.result, '[]');
});

test('data: a workflow the service submitted lists only its own keys, not the store or another run', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none' });
  await putObjects(dataDir, { 'other-run-abc12/secret.txt': 'not yours' });
  const listing = (name: string, key: string) =>
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ${name}, labels: {ogdc/submitter: mallory}}
spec:
  entrypoint: main
  templates:
  - name: main
    data:
      source: {artifactPaths: {name: p, s3: {key: "${key}"}}}
      transformation: [{expression: "data"}]
`);
  for (const key of ['', 'other-run-abc12']) {
    const wf = await engine.wait((await engine.submit(listing(`lister-${key ? 'other' : 'all'}`, key))).metadata.name!);
    assert.equal(wf.status?.phase, 'Error', key);
    const node = Object.values(wf.status?.nodes ?? {})[0]!;
    assert.match(node.message ?? '', /outside this workflow's artifacts/);
    assert.doesNotMatch(JSON.stringify(wf.status), /secret\.txt/);
  }
  await putObjects(dataDir, { 'lister-own/a.txt': 'mine' });
  const own = await engine.wait((await engine.submit(listing('lister-own', 'lister-own'))).metadata.name!);
  assert.equal(own.status?.phase, 'Succeeded');
  assert.match(Object.values(own.status?.nodes ?? {})[0]!.outputs?.result ?? '', /a\.txt/);
});
