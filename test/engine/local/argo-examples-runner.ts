/**
 * Runs the top-level examples of Argo's `examples/` folder (copied in ./argo-examples with Argo's LICENSE) through
 * admission and the local engine, and classifies each file against the result Argo's own e2e test expects
 * (test/e2e/examples_test.go: every Workflow ends Succeeded; the examples labelled
 * `workflows.argoproj.io/no-test: expected-failure` are the ones meant to fail).
 *
 * A file without a Workflow runs the spec of its WorkflowTemplate / ClusterWorkflowTemplate (`argo submit --from`)
 * or CronWorkflow (one scheduled run).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import type { LocalEngine } from '../../../src/engine/local/index.ts';
import { parseWorkflowDocuments } from '../../../src/engine/local/admission/manifest-file.ts';
import type { Workflow } from '../../../src/engine/types.ts';

export const ARGO_EXAMPLES = path.join(import.meta.dirname, 'argo-examples');

type Verdict = 'match' | 'refused' | 'wrong';

interface ExampleResult {
  file: string;
  verdict: Verdict;
  /** Refused: the field (or `file`); wrong: what differed. */
  detail: string;
}

type Obj = Record<string, unknown>;

/**
 * Argo's result where it is not Succeeded (the `expected-failure` label is also on examples that succeed with a
 * failed pod, e.g. continue-on-fail): the phase Argo's controller gives, per its docs and SEMANTICS.md.
 */
const ARGO_PHASE: Record<string, string | string[]> = {
  'dag-continue-on-fail.yaml': 'Failed',
  'dag-disable-failFast.yaml': 'Failed',
  'dag-task-level-timeout.yaml': 'Failed',
  'exit-handlers.yaml': 'Failed',
  'timeouts-step.yaml': 'Failed',
  'timeouts-workflow.yaml': 'Failed',
  // A step exits 1 with no continueOn: Argo fails the step group and the workflow (steps.go). Labelled
  // `environment` (pod GC needs a cluster to observe), not `expected-failure`, yet they fail by design.
  'pod-gc-strategy.yaml': 'Failed',
  'pod-gc-strategy-with-label-selector.yaml': 'Failed',
  // The fourth item exits 1 and failFast stops the loop ("will fail and stop here").
  'loops-arbitrary-sequential-steps.yaml': 'Failed',
  // Both pods outlive the template timeout (activeDeadlineSeconds 10 s, `sleep 30s`): Kubernetes fails them
  // (DeadlineExceeded, a Failed pod → a Failed node, operator.go:inferFailedReason); sleep1 continues only on Error.
  'step-level-timeout.yaml': 'Failed',
  // Runs until stopped.
  'forever.yaml': 'Running',
  // As shipped, the handler posts to the placeholder host YOUR_WEBHOOK_URL_HERE: curl exits 6 (cannot resolve
  // host) on any cluster, and a failed exit handler fails a workflow that had succeeded (operator.go).
  'exit-handler-slack.yaml': 'Failed',
  // Exits 1 or 2 at random; the expression retries only exit codes above 1, so the last attempt always exits 1.
  'retry-conditional.yaml': 'Failed',
  // Random by design: exit codes drawn with python's random.choice, so Argo's result is either phase.
  'retry-on-error.yaml': ['Succeeded', 'Failed'],
  'custom-metrics.yaml': ['Succeeded', 'Failed'],
  'resubmit.yaml': ['Succeeded', 'Failed'],
};

/** The Workflows a file asks Argo to run, and the phase Argo's e2e test expects of each. */
async function workflowsOf(file: string): Promise<Array<{ wf: Workflow; expected: string[] }>> {
  const text = await readFile(path.join(ARGO_EXAMPLES, file), 'utf8');
  const docs = parseWorkflowDocuments(text, file);
  let wfs = docs.filter((d) => d.kind === 'Workflow') as Workflow[];
  if (wfs.length === 0) {
    wfs = docs
      .filter((d) => ['WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow'].includes(String(d.kind)))
      .map((d) => {
        const spec = (
          d.kind === 'CronWorkflow'
            ? (d.spec as Obj).workflowSpec
            : { workflowTemplateRef: { name: d.metadata.name, clusterScope: d.kind === 'ClusterWorkflowTemplate' } }
        ) as Workflow['spec'];
        return {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Workflow',
          metadata: { generateName: `${d.metadata.name ?? 'wf'}-`, labels: d.metadata.labels },
          spec,
        } as Workflow;
      });
  }
  return wfs.map((wf) => ({ wf, expected: [ARGO_PHASE[file] ?? 'Succeeded'].flat() }));
}

/** Only the YAML text of the example: the parse must not depend on the engine's own reader for the file list. */
export async function exampleFiles(): Promise<string[]> {
  const all = (await readdir(ARGO_EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();
  return all;
}

async function runExample(engine: LocalEngine, file: string, timeoutMs: number): Promise<ExampleResult> {
  let wfs: Array<{ wf: Workflow; expected: string[] }>;
  try {
    wfs = await workflowsOf(file);
  } catch (err) {
    return { file, verdict: 'refused', detail: `file: ${(err as Error).message.split('\n')[0]}` };
  }
  if (wfs.length === 0) {
    const kinds = parseAllDocuments(await readFile(path.join(ARGO_EXAMPLES, file), 'utf8')).map((d) => (d.toJS() as Obj)?.kind);
    return { file, verdict: 'refused', detail: `kind: no Workflow (${kinds.join(', ')})` };
  }
  const problems: string[] = [];
  for (const { wf, expected } of wfs) {
    let name: string;
    try {
      name = (await engine.submit(wf)).metadata.name!;
    } catch (err) {
      if (err instanceof ManifestRejectedError) return { file, verdict: 'refused', detail: `${err.field ?? '?'}: ${err.message}` };
      return { file, verdict: 'wrong', detail: `submit threw ${(err as Error).message}` };
    }
    // Argo's e2e test skips the suspend examples (no-test: environment); here a user resumes each suspended node
    // at once, giving a value to a supplied output that has no default.
    const unsubscribe = engine.onUpdate((w) => {
      if (w.metadata.name !== name) return;
      if (!Object.values(w.status?.nodes ?? {}).some((n) => n.type === 'Suspend' && n.phase === 'Running')) return;
      void resumeAsUser(engine, name);
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const final = await Promise.race([engine.wait(name), timedOut]);
    clearTimeout(timer);
    unsubscribe();
    if (final === 'timeout') {
      await engine.stop(name).catch(() => undefined);
      if (!expected.includes('Running')) problems.push(`${name}: still running after ${timeoutMs} ms`);
    } else if (!expected.includes(final.status?.phase ?? '')) {
      problems.push(`${name}: ${final.status?.phase} (${final.status?.message ?? ''}), Argo: ${expected.join(' or ')}`);
    } else {
      problems.push(...treeProblems(final));
    }
  }
  return problems.length ? { file, verdict: 'wrong', detail: problems.join('; ') } : { file, verdict: 'match', detail: '' };
}

/**
 * What Argo guarantees of a finished workflow's node tree beyond its phase: every node is fulfilled (the
 * controller marks what is left when the workflow ends, operator.go:markWorkflowPhase), each node's parent lists
 * it as a child, and a Succeeded pod has every output parameter its template declares (a missing one fails the
 * node, executor.go:SaveParameters).
 */
function treeProblems(wf: Workflow): string[] {
  const nodes = wf.status?.nodes ?? {};
  const templates = new Map(((wf.spec.templates as Obj[] | undefined) ?? []).map((t) => [String(t.name), t]));
  const problems: string[] = [];
  for (const [id, n] of Object.entries(nodes)) {
    if (n.phase === 'Pending' || n.phase === 'Running') problems.push(`node ${n.name} is still ${n.phase}`);
    for (const c of n.children ?? []) if (!nodes[c]) problems.push(`node ${n.name} lists a missing child ${c}`);
    if (n.type === 'Pod' && n.phase === 'Succeeded' && n.templateName) {
      const declared = (((templates.get(n.templateName)?.outputs as Obj | undefined)?.parameters as Obj[] | undefined) ?? []).map((p) =>
        String(p.name),
      );
      const have = new Set((n.outputs?.parameters ?? []).map((p) => p.name));
      for (const p of declared) if (!have.has(p)) problems.push(`node ${n.name} lacks output parameter ${p}`);
    }
    if (
      id !== wf.metadata.name &&
      !Object.values(nodes).some((p) => p.children?.includes(id)) &&
      !n.name.endsWith('.onExit') &&
      !n.name.includes('.hooks.')
    )
      problems.push(`node ${n.name} is in no parent's children`);
  }
  return problems.slice(0, 3);
}

/** Resumes a suspended workflow, answering `approved` for each supplied output the engine asks a value for. */
async function resumeAsUser(engine: LocalEngine, name: string): Promise<void> {
  const values: Record<string, string> = {};
  for (let i = 0; i < 10; i++) {
    try {
      await engine.resume(name, { parameters: values });
      return;
    } catch (err) {
      const missing = /raw output parameter '([^']+)' has not been set/.exec((err as Error).message)?.[1];
      if (!missing) return;
      values[missing] = 'approved';
    }
  }
}

/** Registers the templates of every example file first, as Argo's e2e test applies them before submitting. */
async function registerAllTemplates(engine: LocalEngine): Promise<void> {
  // The ConfigMaps Argo's examples/configmaps/ holds, applied first as the examples' notes ask.
  // And the semaphore limits the synchronization examples' comments give (argo-examples-setup/).
  const setup = path.join(import.meta.dirname, 'argo-examples-setup');
  for (const dir of [path.join(ARGO_EXAMPLES, 'configmaps'), setup]) {
    for (const file of await readdir(dir)) {
      const docs = parseWorkflowDocuments(await readFile(path.join(dir, file), 'utf8'), file);
      for (const d of docs) if (d.kind === 'ConfigMap') engine.registerTemplate(d);
    }
  }
  for (const file of await exampleFiles()) {
    try {
      const docs = parseWorkflowDocuments(await readFile(path.join(ARGO_EXAMPLES, file), 'utf8'), file);
      for (const d of docs) if (d.kind === 'WorkflowTemplate' || d.kind === 'ClusterWorkflowTemplate') engine.registerTemplate(d);
    } catch {
      // A file that does not parse is reported when it runs.
    }
  }
}

/** Runs files `concurrency` at a time. */
export async function runExamples(
  engine: LocalEngine,
  files: string[],
  options: { timeoutMs: number; concurrency: number },
): Promise<ExampleResult[]> {
  await registerAllTemplates(engine);
  const results: ExampleResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      results.push(await runExample(engine, file, options.timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results.sort((a, b) => a.file.localeCompare(b.file));
}

export function summary(results: ExampleResult[]): Record<Verdict, number> {
  const count = { match: 0, refused: 0, wrong: 0 };
  for (const r of results) count[r.verdict]++;
  return count;
}
