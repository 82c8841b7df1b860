// Artifact GC: an output artifact's own artifactGC strategy over the workflow's (controller/artifact_gc.go).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { harness, manifest, run } from './helpers.ts';

const WF = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: artifact-gc-}
spec:
  entrypoint: main
  artifactGC: {strategy: OnWorkflowDeletion}
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c, 'echo a > /tmp/a.txt; echo b > /tmp/b.txt; echo c > /tmp/c.txt']}
    outputs:
      artifacts:
      - {name: on-completion, path: /tmp/a.txt, s3: {key: gc-test/a.txt}, artifactGC: {strategy: OnWorkflowCompletion}}
      - {name: on-deletion, path: /tmp/b.txt, s3: {key: gc-test/b.txt}}
      - {name: never, path: /tmp/c.txt, s3: {key: gc-test/c.txt}, artifactGC: {strategy: Never}}
`;

test('artifacts are deleted at completion or deletion as their own strategy, else the workflow’s, says', async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'none' });
  const stored = (key: string) => existsSync(path.join(dataDir, 'artifacts', key));
  const wf = await run(engine, manifest(WF));
  assert.equal(wf.status?.phase, 'Succeeded');
  // The completion GC runs as the run ends; wait for it rather than for a time.
  for (let i = 0; i < 600 && stored('gc-test/a.txt'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(stored('gc-test/a.txt'), false, 'OnWorkflowCompletion: gone once the workflow is done');
  assert.equal(stored('gc-test/b.txt'), true, 'the workflow strategy (OnWorkflowDeletion) keeps it until deletion');
  await engine.delete(wf.metadata.name!);
  assert.equal(stored('gc-test/b.txt'), false);
  assert.equal(stored('gc-test/c.txt'), true, 'Never keeps it');
});
