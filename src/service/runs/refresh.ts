/**
 * The one place a run's status is written: from a workflow the engine reported (its change stream, follow.ts, or
 * one read of it, refreshRun) or from the fact that the engine no longer has it. Every write goes through
 * `updateRunStatus`, which answers the row as the table then holds it, and tells the run-change listeners.
 */
import type { ServiceContext } from '../context.ts';
import type { Workflow } from '../../engine/types.ts';
import { WorkflowNotFoundError } from '../../engine/errors.ts';
import { FINISHED_PHASES, updateRunStatus, type Run } from './repository.ts';
import { requireEngine } from './engine.ts';

/** The message of a run whose unfinished workflow the engine no longer has. */
export const WORKFLOW_GONE = 'the workflow no longer exists on the engine';

/** Copies a workflow's status into its run row (phase, progress, message, timestamps); answers the row. */
export async function recordWorkflowStatus(ctx: Pick<ServiceContext, 'db' | 'runChanges'>, workflow: Workflow): Promise<Run | undefined> {
  const name = workflow.metadata.name;
  if (!name) return undefined;
  const s = workflow.status ?? {};
  return recordRunStatus(ctx, name, {
    phase: s.phase ?? null,
    progress: s.progress ?? null,
    message: s.message ?? null,
    startedAt: s.startedAt ?? null,
    finishedAt: s.finishedAt ?? null,
    resourceVersion: workflow.metadata.resourceVersion ?? null,
  });
}

/** Writes a run's status, tells the run-change listeners when the row changed, and answers the row (undefined: no such run). */
export async function recordRunStatus(
  ctx: Pick<ServiceContext, 'db' | 'runChanges'>,
  workflowName: string,
  status: Parameters<typeof updateRunStatus>[2],
): Promise<Run | undefined> {
  const written = await updateRunStatus(ctx.db, workflowName, status);
  if (written?.change) ctx.runChanges.publish(written.change);
  return written?.run;
}

/**
 * Reads the run's workflow from the engine once and brings the run row up to date (submit does, when the table may
 * not know yet that a blocking run has finished). A finished run whose workflow the engine has since deleted (TTL)
 * keeps its recorded state; an unfinished one whose workflow vanished ends in Error. Answers the row as written.
 */
export async function refreshRun(ctx: ServiceContext, run: Run): Promise<{ run: Run; workflow: Workflow | undefined }> {
  if (!run.workflowName) return { run, workflow: undefined };
  const engine = requireEngine(ctx);
  try {
    const workflow = await engine.get(run.workflowName);
    return { run: (await recordWorkflowStatus(ctx, workflow)) ?? run, workflow };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    if (run.phase && FINISHED_PHASES.has(run.phase)) return { run, workflow: undefined };
    const ended = await recordRunStatus(ctx, run.workflowName, {
      phase: 'Error',
      progress: run.progress,
      message: WORKFLOW_GONE,
      startedAt: null,
      finishedAt: null,
    });
    return { run: ended ?? run, workflow: undefined };
  }
}

/**
 * At startup: reservations that never reached the engine are ended, so no run stays in progress forever. Runs the
 * engine has are brought up to date by its change stream, whose first event lists them all (follow.ts).
 */
export async function reconcileUnfinishedRuns(ctx: Pick<ServiceContext, 'db'>): Promise<void> {
  await ctx.db.query(
    `UPDATE recipe_runs SET phase = 'Error', message = 'not submitted: the service stopped before the workflow was submitted', finished_at = now()
     WHERE finished_at IS NULL AND workflow_name IS NULL AND submitted_at < now() - interval '10 minutes'`,
  );
}
