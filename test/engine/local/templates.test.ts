// WorkflowTemplates kept by name, templateRef / workflowTemplateRef / templateDefaults / workflowMetadata, and
// YAML read as Argo's Go parser reads it (multi-document files, duplicate keys, lone closing quotes).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runWorkflowFile } from '../../../src/cli/commands/run-workflow.ts';
import { CliError } from '../../../src/cli/errors.ts';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { ManifestFileError } from '../../../src/engine/local/errors.ts';
import { parseWorkflowDocuments, parseWorkflowText } from '../../../src/engine/local/admission/manifest-file.ts';
import type { Workflow } from '../../../src/engine/types.ts';
import { ARGO_EXAMPLES } from './argo-examples-runner.ts';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

const WT = `
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greetings
spec:
  entrypoint: main
  arguments:
    parameters: [{name: who, value: template}, {name: extra, value: kept}]
  templates:
  - name: main
    steps:
    - - name: say
        template: print
        arguments: {parameters: [{name: m, value: "{{workflow.parameters.who}} {{workflow.parameters.extra}}"}]}
  - name: print
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`;

test('multi-document files: every document is read; Go YAML quirks (duplicate keys, lone closing quotes) are accepted', () => {
  const docs = parseWorkflowDocuments(`${WT}\n---\nkind: Workflow\nmetadata: {name: a}\nspec: {}\n---\n`, 'f.yaml');
  assert.deepEqual(
    docs.map((d) => d.kind),
    ['WorkflowTemplate', 'Workflow'],
  );
  const dup = parseWorkflowText('kind: Workflow\nmetadata:\n  name: a\nmetadata:\n  name: b\nspec: {}\n', 'dup.yaml');
  assert.equal(dup.metadata.name, 'b');
  const quoted = parseWorkflowText("kind: Workflow\nmetadata: {name: q}\nspec:\n  args: ['\n    echo one;\n    echo two\n  ']\n", 'q.yaml');
  assert.deepEqual((quoted.spec as Record<string, unknown>).args, [' echo one; echo two ']);
  assert.throws(
    () => parseWorkflowText('kind: Workflow\nspec:\n  a: [1,\n', 'bad.yaml'),
    (err: Error) => err instanceof ManifestFileError && /bad\.yaml: line \d+, column \d+: /.test(err.message),
  );
  assert.throws(() => parseWorkflowDocuments('- a\n- b\n', 'list.yaml'), /expected a Kubernetes object/);
});

test('integers as Go reads them: a leading 0 is octal (artifact mode: 0755 is 493), 0o and plain decimals unchanged', () => {
  const wf = parseWorkflowText(
    'kind: Workflow\nmetadata: {name: m}\nspec: {a: 0755, b: 0o644, c: 755, d: 0, e: "0755", f: -012}\n',
    'm.yaml',
  );
  assert.deepEqual(wf.spec, { a: 493, b: 420, c: 755, d: 0, e: '0755', f: -10 });
});

test('workflowTemplateRef joins the Workflow over the template; arguments merge by name', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  engine.registerTemplate(parseWorkflowDocuments(WT, 'wt.yaml')[0]!);
  const wf = await run(
    engine,
    manifest(`
kind: Workflow
apiVersion: argoproj.io/v1alpha1
metadata: {generateName: from-template-}
spec:
  arguments: {parameters: [{name: who, value: workflow}]}
  workflowTemplateRef: {name: greetings}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'say').templateName, 'print');
  assert.deepEqual(await logText(engine, wf.metadata.name!), ['workflow kept']);
  await assert.rejects(
    engine.submit(manifest('kind: Workflow\nmetadata: {name: x}\nspec: {workflowTemplateRef: {name: nope}}')),
    (err: Error) =>
      err instanceof ManifestRejectedError &&
      err.field === 'spec.workflowTemplateRef' &&
      /workflowtemplates.argoproj.io "nope" not found/.test(err.message),
  );
});

test('templateRef copies the template and what it calls; a clashing name gets a prefixed copy; templateDefaults apply', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  engine.registerTemplate(parseWorkflowDocuments(WT, 'wt.yaml')[0]!);
  const wf = await run(
    engine,
    manifest(`
kind: Workflow
apiVersion: argoproj.io/v1alpha1
metadata: {generateName: ref-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: me}, {name: extra, value: too}]}
  templateDefaults: {activeDeadlineSeconds: 100}
  templates:
  - name: main
    steps:
    - - {name: remote, templateRef: {name: greetings, template: main}}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'remote').templateName, 'greetings-main');
  assert.equal(nodeByDisplay(wf, 'say').templateName, 'print');
  assert.deepEqual(await logText(engine, wf.metadata.name!), ['me too']);
  await assert.rejects(
    engine.submit(
      manifest(
        'kind: Workflow\nmetadata: {name: y}\nspec:\n  entrypoint: m\n  templates:\n  - name: m\n    steps: [[{name: s, templateRef: {name: greetings, template: gone}}]]',
      ),
    ),
    /template gone not found in WorkflowTemplate greetings/,
  );
});

test('run-workflow runs every Workflow of a file with the templates of the file and of --templates DIR', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-templates-'));
  try {
    await writeFile(path.join(dir, 'wt.yaml'), WT);
    const file = path.join(dir, 'run.yaml');
    const wfDoc = (name: string) =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: ${name}}\nspec:\n  arguments: {parameters: [{name: who, value: ${name}}]}\n  workflowTemplateRef: {name: greetings}\n`;
    await writeFile(file, `${wfDoc('one')}---\n${wfDoc('two')}`);
    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: () => undefined };
    const code = await runWorkflowFile(file, { parameters: {}, json: true, sandbox: 'none', templateDirs: [dir], ...io });
    assert.equal(code, 0);
    const finals = JSON.parse(out.join('')) as Workflow[];
    assert.deepEqual(
      finals.map((f) => [f.metadata.name, f.status?.phase]),
      [
        ['one', 'Succeeded'],
        ['two', 'Succeeded'],
      ],
    );
    await assert.rejects(
      runWorkflowFile(path.join(dir, 'wt.yaml'), { parameters: {}, json: false, sandbox: 'none', ...io }),
      (err: Error) => err instanceof CliError && /no Workflow in the file \(found WorkflowTemplate\)/.test(err.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("Argo's dag-inline-workflowtemplate example runs from its registered template", async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path.join(ARGO_EXAMPLES, 'dag-inline-workflowtemplate.yaml'), 'utf8');
  engine.registerTemplate(parseWorkflowDocuments(text, 'x')[0]!);
  const wf = await run(
    engine,
    manifest('kind: Workflow\nmetadata: {generateName: dag-inline-}\nspec: {workflowTemplateRef: {name: dag-inline}}'),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(wf, 'a').type, 'Pod');
});

test('workflowMetadata.labelsFrom: each label is an expression over the globals; a non-string result is refused', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const text = (expression: string) => `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: labels-from-}
spec:
  entrypoint: main
  # Nothing evicts pods here: a PodDisruptionBudget is accepted and has no effect.
  podDisruptionBudget: {minAvailable: 1}
  arguments: {parameters: [{name: foo, value: bar}]}
  workflowMetadata:
    labels: {fixed: "yes"}
    labelsFrom:
      foo: {expression: "${expression}"}
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c, 'true']}
`;
  const wf = await run(engine, manifest(text("workflow.parameters.foo + '-' + workflow.namespace")));
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(wf.metadata.labels?.foo, 'bar-default');
  assert.equal(wf.metadata.labels?.fixed, 'yes');
  assert.equal((await engine.get(wf.metadata.name!)).metadata.labels?.foo, 'bar-default', 'the label is kept');
  await assert.rejects(engine.submit(manifest(text('1 + 2'))), (err: unknown) => {
    assert.ok(err instanceof ManifestRejectedError);
    assert.equal(err.field, 'spec.workflowMetadata.labelsFrom.foo.expression');
    assert.match(err.message, /must be a string, not number/);
    return true;
  });
});
