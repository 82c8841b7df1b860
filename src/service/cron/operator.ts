/**
 * One CronWorkflow's controller step, after Argo's workflow/cron/operator.go: reconcile the active runs
 * (counting succeeded and failed), apply `stopStrategy`, keep the history limits, and, when a schedule time
 * has come, run it under `suspend`, `when` and `concurrencyPolicy`.
 */
import type { Engine, Workflow } from '../../engine/types.ts';
import { WorkflowNotFoundError } from '../../engine/errors.ts';
import type { Db } from '../../db/types.ts';
import { mapLookup, substituteString } from '../../engine/local/expressions/substitute.ts';
import { CLOCK, evaluateExpression, nestVariables } from '../../engine/local/expressions/expr.ts';
import { markNotSubmitted, markSubmitted, reserveRun } from '../runs/repository.ts';
import { SUBMITTER_LABEL } from '../../engine/local/admission/artifact-scope.ts';
import { prepareRun } from './prepare.ts';
import { RequestValidationError } from '../errors.ts';
import { finishRun, forgetRun, recordRun, runsOf, saveStatus, type CronCondition, type CronRow } from './repository.ts';

export type CronEngine = Pick<Engine, 'kind' | 'submit' | 'get' | 'stop' | 'delete'>;

export interface OperatorDeps {
  db: Db;
  engine: CronEngine;
  now: () => Date;
  log?: (message: string) => void;
}

const FINISHED = new Set(['Succeeded', 'Failed', 'Error']);
/** Argo's defaults (CronWorkflowSpec): 3 successful and 1 failed workflow kept. */
const DEFAULT_SUCCESSFUL_LIMIT = 3;
const DEFAULT_FAILED_LIMIT = 1;

function setCondition(cron: CronRow, type: string, message: string | undefined, now: Date): void {
  cron.conditions = cron.conditions.filter((c) => c.type !== type);
  if (message !== undefined) {
    const c: CronCondition = { type, status: 'True', message, lastTransitionTime: now.toISOString() };
    cron.conditions.push(c);
  }
}

/** The `cronworkflow.*` variables of `when` and `stopStrategy` (Argo's expressionEnvironment). */
function variables(cron: CronRow): Record<string, unknown> {
  const m = cron.manifest.metadata;
  return {
    'cronworkflow.name': m.name,
    'cronworkflow.namespace': m.namespace,
    'cronworkflow.labels': JSON.stringify(m.labels ?? {}),
    'cronworkflow.annotations': JSON.stringify(m.annotations ?? {}),
    'cronworkflow.lastScheduledTime': cron.lastScheduledTime ? cron.lastScheduledTime.toISOString() : null,
    'cronworkflow.failed': cron.failed,
    'cronworkflow.succeeded': cron.succeeded,
  };
}

/** The same variables with their types, for `{{= expr}}` and stopStrategy. */
function typedVariables(cron: CronRow): Record<string, unknown> {
  const m = cron.manifest.metadata;
  return {
    name: m.name,
    namespace: m.namespace,
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
    // A time, as Argo's expression environment has it: `now() - cronworkflow.lastScheduledTime` is a duration.
    lastScheduledTime: cron.lastScheduledTime ?? null,
    failed: cron.failed,
    succeeded: cron.succeeded,
  };
}

/** `when`: `{{…}}` tags substituted, then read as Go's strconv.ParseBool; an error is a SpecError condition. */
function evalWhen(cron: CronRow, now: () => Date): boolean {
  const when = cron.manifest.spec.when;
  if (!when) return true;
  const vars = variables(cron);
  const flat = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v === null ? 'null' : String(v)]));
  const text = substituteString(when, mapLookup(flat), () => true, {
    env: () => ({ ...nestVariables(Object.entries(flat)), cronworkflow: typedVariables(cron), [CLOCK]: now }),
    final: true,
  }).trim();
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new Error(`spec.when: ${JSON.stringify(when)} gives ${JSON.stringify(text)}, not a boolean`);
}

function stopReached(cron: CronRow): boolean {
  const expression = cron.manifest.spec.stopStrategy?.expression;
  if (!expression) return false;
  const env = { cronworkflow: typedVariables(cron) };
  return evaluateExpression(expression, env) === true;
}

/** Moves finished runs out of `active`, counting them; applies stopStrategy and the history limits. */
export async function reconcile(deps: OperatorDeps, cron: CronRow): Promise<void> {
  const now = deps.now();
  for (const run of await runsOf(deps.db, cron.id)) {
    if (run.finishedAt) continue;
    let phase: string | undefined;
    try {
      phase = (await deps.engine.get(run.workflowName)).status?.phase;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Deleted behind our back: Argo drops it from status.active without counting it.
      await forgetRun(deps.db, run.workflowName);
      continue;
    }
    if (!phase || !FINISHED.has(phase)) continue;
    await finishRun(deps.db, run.workflowName, phase, now);
    if (phase === 'Succeeded') cron.succeeded++;
    else cron.failed++;
  }
  if (cron.phase === 'Active' && stopReached(cron)) {
    cron.phase = 'Stopped';
    deps.log?.(`CronWorkflow ${cron.name}: stopStrategy ${cron.manifest.spec.stopStrategy!.expression} reached; no more runs`);
  }
  await enforceHistoryLimit(deps, cron);
  await saveStatus(deps.db, cron);
}

async function enforceHistoryLimit(deps: OperatorDeps, cron: CronRow): Promise<void> {
  const finished = (await runsOf(deps.db, cron.id)).filter((r) => r.finishedAt);
  const newestFirst = (a: { finishedAt: Date | null }, b: { finishedAt: Date | null }) => b.finishedAt!.getTime() - a.finishedAt!.getTime();
  const succeeded = finished.filter((r) => r.phase === 'Succeeded').sort(newestFirst);
  const failed = finished.filter((r) => r.phase !== 'Succeeded').sort(newestFirst);
  const spec = cron.manifest.spec;
  const extra = [
    ...succeeded.slice(spec.successfulJobsHistoryLimit ?? DEFAULT_SUCCESSFUL_LIMIT),
    ...failed.slice(spec.failedJobsHistoryLimit ?? DEFAULT_FAILED_LIMIT),
  ];
  for (const run of extra) {
    await deps.engine.delete(run.workflowName).catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
    await forgetRun(deps.db, run.workflowName);
  }
}

/**
 * Runs the schedule time `scheduled` (Argo's run): nothing while suspended, stopped, `when` false, or active
 * runs under Forbid; Replace stops the active runs first. Returns the created workflow's name, if any.
 */
export async function runScheduled(deps: OperatorDeps, cron: CronRow, scheduled: Date): Promise<string | undefined> {
  const now = deps.now();
  if (cron.suspended || cron.phase === 'Stopped') return undefined;
  let proceed: boolean;
  try {
    proceed = evalWhen(cron, deps.now);
    setCondition(cron, 'SpecError', undefined, now);
  } catch (err) {
    setCondition(cron, 'SpecError', (err as Error).message, now);
    await saveStatus(deps.db, cron);
    return undefined;
  }
  if (!proceed) return undefined;
  const active = (await runsOf(deps.db, cron.id)).filter((r) => !r.finishedAt);
  const policy = cron.manifest.spec.concurrencyPolicy ?? 'Allow';
  if (active.length > 0 && policy === 'Forbid') return undefined;
  if (active.length > 0 && policy === 'Replace') for (const r of active) await deps.engine.stop(r.workflowName).catch(() => {});
  let wf: Workflow;
  try {
    wf = await prepareRun(deps.db, cron.manifest, { id: cron.userId, isAdmin: cron.ownerIsAdmin }, scheduled);
  } catch (err) {
    if (!(err instanceof RequestValidationError)) throw err;
    setCondition(cron, 'SubmissionError', `Failed to submit Workflow: ${err.message.replace(/\bbody\./g, '')}`, now);
    await saveStatus(deps.db, cron);
    return undefined;
  }
  wf.metadata.labels = { ...wf.metadata.labels, [SUBMITTER_LABEL]: cron.owner };
  const name = wf.metadata.name!;
  // The run appears in the owner's /runs like a recipe run (no output; its recipe is the CronWorkflow).
  const runId = await reserveRun(deps.db, {
    userId: cron.userId,
    recipePath: `cron-workflow:${cron.namespace}/${cron.name}`,
    recipeId: cron.name,
    recipeName: `CronWorkflow ${cron.name}`,
    engine: deps.engine.kind,
    outputType: 'none',
    overwrite: false,
  });
  try {
    const created = await deps.engine.submit(wf, { artifactReadPrefixes: [] });
    await markSubmitted(deps.db, runId, name, created.status?.phase ?? null);
  } catch (err) {
    await markNotSubmitted(deps.db, runId, `not submitted: ${(err as Error).message}`).catch(() => {});
    setCondition(cron, 'SubmissionError', `Failed to submit Workflow: ${(err as Error).message}`, now);
    await saveStatus(deps.db, cron);
    return undefined;
  }
  await recordRun(deps.db, cron.id, name, scheduled);
  cron.lastScheduledTime = scheduled;
  setCondition(cron, 'SubmissionError', undefined, now);
  await saveStatus(deps.db, cron);
  deps.log?.(`CronWorkflow ${cron.name}: created ${name} for ${scheduled.toISOString()}`);
  return name;
}
