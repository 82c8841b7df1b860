import type { ServiceContext } from '../context.ts';
import type { Workflow } from '../../engine/types.ts';
import { WorkflowNotFoundError } from '../../engine/errors.ts';
import { FINISHED_PHASES, updateRunStatus, type Run } from './repository.ts';
import { requireEngine } from './engine.ts';

/** Copies a workflow's status into its run row (phase, progress, message, timestamps). */
export async function recordWorkflowStatus(ctx: Pick<ServiceContext, 'db'>, workflow: Workflow): Promise<void> {
  const name = workflow.metadata.name;
  if (!name) return;
  const s = workflow.status ?? {};
  await updateRunStatus(ctx.db, name, {
    phase: s.phase ?? null,
    progress: s.progress ?? null,
    message: s.message ?? null,
    startedAt: s.startedAt ?? null,
    finishedAt: s.finishedAt ?? null,
  });
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
    await updateRunStatus(ctx.db, run.workflowName, { phase: 'Error', progress: run.progress, message, startedAt: null, finishedAt: null });
    return { run: { ...run, phase: 'Error', message, finishedAt: new Date() }, workflow: undefined };
  }
}
