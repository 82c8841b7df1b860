import type { ServiceContext } from '../context.ts';
import type { Workflow } from '../../engine/types.ts';
import { WorkflowNotFoundError } from '../../engine/errors.ts';
import { FINISHED_PHASES, updateRunStatus, type Run } from './repository.ts';
import { requireEngine } from './engine.ts';

/** Copies a workflow's status into its run row (phase, progress, message, timestamps). */
export async function recordWorkflowStatus(ctx: Pick<ServiceContext, 'db' | 'runChanges'>, workflow: Workflow): Promise<void> {
  const name = workflow.metadata.name;
  if (!name) return;
  const s = workflow.status ?? {};
  await recordRunStatus(ctx, name, {
    phase: s.phase ?? null,
    progress: s.progress ?? null,
    message: s.message ?? null,
    startedAt: s.startedAt ?? null,
    finishedAt: s.finishedAt ?? null,
    resourceVersion: workflow.metadata.resourceVersion ?? null,
  });
}

/** Writes a run's status and tells the run-change listeners when the row changed. */
export async function recordRunStatus(
  ctx: Pick<ServiceContext, 'db' | 'runChanges'>,
  workflowName: string,
  status: Parameters<typeof updateRunStatus>[2],
): Promise<void> {
  const change = await updateRunStatus(ctx.db, workflowName, status);
  if (change) ctx.runChanges.publish(change);
}

/**
 * Reads the run's workflow from the engine and brings the run row up to date.
 * A finished run whose workflow the engine has since deleted (TTL) keeps its
 * recorded state; an unfinished one whose workflow vanished ends in Error.
 */
export async function refreshRun(ctx: ServiceContext, run: Run): Promise<{ run: Run; workflow: Workflow | undefined }> {
  if (!run.workflowName) return { run, workflow: undefined };
  const engine = requireEngine(ctx);
  try {
    const workflow = await engine.get(run.workflowName);
    await recordWorkflowStatus(ctx, workflow);
    const s = workflow.status ?? {};
    return {
      run: {
        ...run,
        phase: s.phase ?? run.phase,
        progress: s.progress ?? run.progress,
        message: s.message ?? null,
        startedAt: s.startedAt ? new Date(s.startedAt) : run.startedAt,
        finishedAt: s.finishedAt ? new Date(s.finishedAt) : run.finishedAt,
      },
      workflow,
    };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    if (run.phase && FINISHED_PHASES.has(run.phase)) return { run, workflow: undefined };
    const message = 'the workflow no longer exists on the engine';
    await recordRunStatus(ctx, run.workflowName, { phase: 'Error', progress: run.progress, message, startedAt: null, finishedAt: null });
    return { run: { ...run, phase: 'Error', message, finishedAt: new Date() }, workflow: undefined };
  }
}

/**
 * At startup: runs left unfinished by a previous process are brought up to date
 * (the local engine has marked what it could not resume), and reservations that
 * never reached the engine are ended, so no run stays in progress forever.
 */
export async function reconcileUnfinishedRuns(ctx: ServiceContext): Promise<void> {
  await ctx.db.query(
    `UPDATE recipe_runs SET phase = 'Error', message = 'not submitted: the service stopped before the workflow was submitted', finished_at = now()
     WHERE finished_at IS NULL AND workflow_name IS NULL AND submitted_at < now() - interval '10 minutes'`,
  );
  // Argo: the follower's first full list does this, once, in whichever replica holds the lease.
  if (!ctx.engine || ctx.engine.kind === 'argo') return;
  const rows = await ctx.db.query<{ workflow_name: string }>(
    'SELECT workflow_name FROM recipe_runs WHERE finished_at IS NULL AND workflow_name IS NOT NULL AND engine = $1',
    [ctx.engine.kind],
  );
  for (const { workflow_name } of rows) {
    try {
      await recordWorkflowStatus(ctx, await ctx.engine.get(workflow_name));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) continue;
      await recordRunStatus(ctx, workflow_name, {
        phase: 'Error',
        progress: null,
        message: 'the workflow no longer exists on the engine',
        startedAt: null,
        finishedAt: null,
      });
    }
  }
}
