// Template timeout, output artifact fromExpression and globalName, configMapKeyRef parameters (operator.go,
// workflowpod.go, workflow/common/configmap.go).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { parseWorkflowDocuments } from '../../../src/engine/local/admission/manifest-file.ts';
import { example, harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

test('a template timeout ends its pod as Argo does (activeDeadlineSeconds from the node start)', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: timeout-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    # Long enough that a loaded machine still starts the pod with more than a second left (else Argo never creates it).
    - - {name: slow, template: sleep, arguments: {parameters: [{name: t, value: "8s"}]}}
  - name: sleep
    timeout: "{{inputs.parameters.t}}"
    inputs: {parameters: [{name: t}]}
    container: {image: alpine, command: [sleep, "60"]}
`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(nodeByDisplay(wf, 'slow').message, 'Pod was active on the node longer than the specified deadline');
});

test('refuses a timeout that is not a duration, naming the field', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  await assert.rejects(
    engine.submit(
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bad-timeout-}
spec:
  entrypoint: main
  templates:
  - {name: main, timeout: "soon", container: {image: alpine, command: ["true"]}}
`),
    ),
    (e: unknown) =>
      e instanceof ManifestRejectedError && e.field === 'spec.templates[0].timeout' && /invalid timeout format 'soon'/.test(e.message),
  );
});

test('global-outputs: globalName parameters and artifacts reach later steps and status.outputs', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(engine, await example('global-outputs'));
  assert.equal(wf.status?.phase, 'Succeeded', wf.status?.message);
  assert.deepEqual(wf.status?.outputs?.parameters, [{ name: 'my-global-param', value: 'hello world' }]);
  assert.equal(wf.status?.outputs?.artifacts?.[0]?.name, 'my-global-art');
  const logs = await logText(engine, wf.metadata.name!);
  assert.equal(logs.filter((l) => l === 'hello world').length, 4, logs.join('\n'));
});

test('conditional-artifacts: fromExpression picks the artifact of the step that ran', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(engine, await example('conditional-artifacts'));
  assert.equal(wf.status?.phase, 'Succeeded', wf.status?.message);
  const main = nodeByDisplay(wf, wf.metadata.name!);
  const ran = nodeByDisplay(wf, 'heads').phase === 'Succeeded' ? 'heads' : 'tails';
  assert.deepEqual(main.outputs?.artifacts?.[0], { ...nodeByDisplay(wf, ran).outputs!.artifacts![0], name: 'result' });
});

test('configMapKeyRef parameters read a registered ConfigMap; a missing one is refused with Argo message', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = () => example('global-parameters-from-configmap');
  await assert.rejects(
    engine.submit(await wf()),
    (e: unknown) =>
      e instanceof ManifestRejectedError &&
      e.field === 'spec.arguments.parameters[0].valueFrom.configMapKeyRef' &&
      /failed to set global parameter message from configmap with name simple-parameters and key msg: ConfigMap 'simple-parameters' does not exist/.test(
        e.message,
      ),
  );
  const cm = (labelled: boolean) => `
apiVersion: v1
kind: ConfigMap
metadata:
  name: simple-parameters
  ${labelled ? 'labels: {workflows.argoproj.io/configmap-type: Parameter}' : 'labels: {}'}
data: {msg: 'hello from the map'}
`;
  // Unlabelled ConfigMaps are not seen, as Argo's controller does not watch them.
  engine.registerTemplate(parseWorkflowDocuments(cm(false), 'cm')[0]!);
  await assert.rejects(engine.submit(await wf()), /Please make sure it has the label/);
  engine.registerTemplate(parseWorkflowDocuments(cm(true), 'cm')[0]!);
  const done = await run(engine, await wf());
  assert.equal(done.status?.phase, 'Succeeded');
  assert.deepEqual(await logText(engine, done.metadata.name!), ['hello from the map']);
  const input = await run(engine, await example('arguments-parameters-from-configmap'));
  assert.deepEqual(await logText(engine, input.metadata.name!), ['hello from the map']);
});
