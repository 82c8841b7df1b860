// nodeSelector on a cluster of one Linux node (workflowpod.go, the scheduler's Unschedulable reason), image
// entrypoints of alpine and busybox, and the workflow.* globals of operator.go:setGlobalParameters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { nodeLabels } from '../../../src/engine/local/execution/node-selector.ts';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

const selectorWf = (arch: string, extra = '') =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: selector-}
spec:
  entrypoint: main
  activeDeadlineSeconds: 6
  arguments: {parameters: [{name: arch, value: "${arch}"}]}
  templates:
  - name: main
    steps:
    - - {name: here, template: print-arch}
  - name: print-arch
    nodeSelector: {beta.kubernetes.io/arch: "{{workflow.parameters.arch}}"${extra}}
    container: {image: alpine:3.23}
`);

test('a nodeSelector this machine matches runs (alpine with no command runs its shell); one it does not stays Pending until the deadline', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const arch = nodeLabels()['kubernetes.io/arch']!;
  const ran = await run(engine, selectorWf(arch, ', kubernetes.io/os: linux'));
  assert.equal(ran.status?.phase, 'Succeeded', JSON.stringify(ran.status?.nodes));
  assert.equal(nodeByDisplay(ran, 'here').type, 'Pod');

  const name = (await engine.submit(selectorWf('no-such-arch'))).metadata.name!;
  let pendingMessage: string | undefined;
  const off = engine.onUpdate((w) => {
    const n = Object.values(w.status?.nodes ?? {}).find((x) => x.displayName === 'here');
    if (w.metadata.name === name && n?.phase === 'Pending') pendingMessage = n.message;
  });
  const stuck = await engine.wait(name);
  off();
  assert.equal(pendingMessage, "Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
  assert.equal(stuck.status?.phase, 'Failed');
  assert.equal(nodeByDisplay(stuck, 'here').phase, 'Failed');
  assert.equal(nodeByDisplay(stuck, 'here').message, 'Step exceeded its deadline');
});

test('a Windows nodeSelector is refused at submit, naming the field and the Argo engine', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  await assert.rejects(
    engine.submit(
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: win-}
spec:
  entrypoint: main
  templates:
  - name: main
    nodeSelector: {kubernetes.io/os: windows}
    container: {image: mcr.microsoft.com/windows/nanoserver:1809, command: [cmd, /c], args: [echo, hi]}
`),
    ),
    (err: Error) =>
      err instanceof ManifestRejectedError &&
      err.field === 'spec.templates[0].nodeSelector.kubernetes.io/os' &&
      /'windows' nodes are not available.*use the Argo engine/.test(err.message),
  );
});

test('workflow globals: parameters.json as Go marshals them, labels, annotations, serviceAccountName, priority, creation time formats', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: globals-
  labels: {app: demo}
  annotations: {example.io/owner: team, workflows.argoproj.io/scheduled-time: "2026-04-29T00:00:00Z"}
spec:
  entrypoint: main
  serviceAccountName: runner
  priority: 5
  arguments: {parameters: [{name: greeting, value: hello, description: a word}, {name: n, value: 3}]}
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args:
      - |
        echo 'json={{workflow.parameters.json}}'
        echo "labels={{workflow.labels.app}} owner={{workflow.annotations.example.io/owner}}"
        echo "sa={{workflow.serviceAccountName}} prio={{workflow.priority}} sched={{workflow.scheduledTime}}"
        echo "created={{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}} s={{workflow.creationTimestamp.s}}"
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(wf.status?.nodes));
  const text = (await logText(engine, wf.metadata.name!)).join('\n');
  assert.match(text, /json=\[\{"name":"greeting","value":"hello","description":"a word"\},\{"name":"n","value":"3"\}\]/);
  assert.match(text, /labels=demo owner=team/);
  assert.match(text, /sa=runner prio=5 sched=2026-04-29T00:00:00Z/);
  const created = new Date(wf.metadata.creationTimestamp!);
  const ymd = created.toISOString().slice(0, 10);
  assert.match(text, new RegExp(`created=${ymd} s=${Math.floor(created.getTime() / 1000)}`));
});

test('what only a cluster can grant (privileged containers, host namespaces) is refused naming the field and the Argo engine', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const privileged = manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dind-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: docker:dind, command: [dockerd], securityContext: {privileged: true}}
`);
  await assert.rejects(
    engine.submit(privileged),
    (err: Error) =>
      err instanceof ManifestRejectedError &&
      err.field === 'spec.templates[0].container.securityContext.privileged' &&
      /privileged containers are refused by the local engine; use the Argo engine/.test(err.message),
  );
});
