// Exit handlers and lifecycle hooks as Argo's controller runs them (exit_handler.go, hooks.go, operator.go).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { example, harness, logText, manifest, nodeByDisplay, nodes, run } from './helpers.ts';

test('exit-handlers: <wf>.onExit runs after a failed root and reads workflow.status; the workflow stays Failed', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(engine, await example('exit-handlers'));
  assert.equal(wf.status?.phase, 'Failed');
  const name = wf.metadata.name!;
  const exit = nodes(wf).find((n) => n.name === `${name}.onExit`)!;
  assert.equal(exit.phase, 'Succeeded');
  assert.equal(exit.boundaryID, undefined);
  assert.equal(nodeByDisplay(wf, 'celebrate').phase, 'Skipped');
  assert.equal(nodeByDisplay(wf, 'cry').phase, 'Succeeded');
  const logs = (await logText(engine, name)).join('\n');
  assert.match(logs, /boohoo!/);
});

test('workflow.status and workflow.failures in spec.onExit; a failing handler fails a Succeeded workflow', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: exit-vars-}
spec:
  entrypoint: main
  onExit: report
  templates:
  - name: main
    steps:
    - - {name: ok, template: say}
      - {name: bad, template: fail, continueOn: {failed: true}}
  - name: say
    container: {image: alpine, command: [echo, "status={{workflow.status}}"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 3"]}
  - name: report
    container: {image: alpine, command: [sh, -c, "echo 'final={{workflow.status}} {{workflow.failures}}'; exit 1"]}
`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.message, 'main: Error (exit code 1)');
  const logs = await logText(engine, wf.metadata.name!);
  assert.ok(logs.includes('status=Running'), logs.join('\n'));
  const final = logs.find((l) => l.startsWith('final='))!;
  assert.match(final, /^final=Succeeded \[/);
  const failures = JSON.parse(final.slice('final=Succeeded '.length)) as Array<Record<string, string>>;
  assert.deepEqual(
    failures.map((f) => [f.displayName, f.phase, f.templateName, f.message]),
    [['bad', 'Failed', 'fail', 'main: Error (exit code 3)']],
  );
});

test('step-level onExit and hooks.exit: <step>.onExit is a child of the step, reads its outputs; expression hooks run once', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: step-exit-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: produce
        hooks:
          exit:
            template: print
            arguments: {parameters: [{name: m, value: "a said {{steps.a.outputs.parameters.out}}"}]}
          done:
            expression: steps.a.status == "Succeeded"
            template: print
            arguments: {parameters: [{name: m, value: "hook saw {{steps.a.status}}"}]}
    - - {name: b, template: produce, onExit: bye}
  - name: produce
    container: {image: alpine, command: [sh, -c, "echo -n hi > /tmp/out"]}
    outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
  - name: print
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
  - name: bye
    container: {image: alpine, command: [echo, bye]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const name = wf.metadata.name!;
  const a = nodeByDisplay(wf, 'a');
  const aExit = nodes(wf).find((n) => n.name === `${name}[0].a.onExit`)!;
  const aHook = nodes(wf).find((n) => n.name === `${name}[0].a.hooks.done`)!;
  assert.ok(a.children?.includes(aExit.id) && a.children.includes(aHook.id));
  assert.equal(aExit.boundaryID, name);
  const bExit = nodes(wf).find((n) => n.name === `${name}[1].b.onExit`)!;
  assert.equal(bExit.templateName, 'bye');
  const logs = await logText(engine, name);
  assert.ok(logs.includes('a said hi') && logs.includes('hook saw Succeeded') && logs.includes('bye'), logs.join('\n'));
});

test('a hook naming no template, or one without an expression, is refused at submit', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const base =
    'kind: Workflow\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: h}\nspec:\n  entrypoint: m\n  templates:\n  - {name: m, container: {image: a, command: [echo]}}\n';
  await assert.rejects(
    engine.submit(manifest(`${base}  onExit: nope\n`)),
    (e: Error) => e instanceof ManifestRejectedError && e.field === 'spec.onExit',
  );
  await assert.rejects(
    engine.submit(manifest(`${base}  hooks: {running: {template: m}}\n`)),
    (e: Error) => e instanceof ManifestRejectedError && e.field === 'spec.hooks.running.expression',
  );
});
