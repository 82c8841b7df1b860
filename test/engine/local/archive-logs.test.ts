// archiveLogs: the main log saved as the `main-logs` artifact (executor.go:SaveLogs), template level over spec level.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { harness, manifest, nodeByDisplay, run } from './helpers.ts';

const WF = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: archive-logs-}
spec:
  entrypoint: main
  archiveLogs: true
  templates:
  - name: main
    steps:
    - - {name: kept, template: kept}
      - {name: own-choice, template: own-choice}
  - name: kept
    container: {image: busybox, command: [sh, -c, 'echo hello world; echo on stderr >&2']}
  - name: own-choice
    archiveLocation: {archiveLogs: false}
    container: {image: busybox, command: [echo, not archived]}
`;

test('archiveLogs saves the main log as main-logs at <workflow>/<pod>/main.log; a template may turn it off', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none' });
  const wf = await run(engine, manifest(WF));
  assert.equal(wf.status?.phase, 'Succeeded');
  const kept = nodeByDisplay(wf, 'kept');
  const podName = `${wf.metadata.name}-kept-${kept.id.split('-').pop()}`;
  assert.deepEqual(kept.outputs?.artifacts, [{ name: 'main-logs', s3: { key: `${wf.metadata.name}/${podName}/main.log` } }]);
  const saved = await readFile(path.join(dataDir, 'artifacts', wf.metadata.name!, podName, 'main.log'), 'utf8');
  assert.match(saved, /hello world/);
  assert.match(saved, /on stderr/);
  assert.equal(nodeByDisplay(wf, 'own-choice').outputs?.artifacts, undefined);
  assert.equal(wf.status?.nodes?.[wf.metadata.name!]?.outputs?.artifacts, undefined, 'only pods archive logs');
});
