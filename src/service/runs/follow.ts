/**
 * Keeps the runs table current from the engine's change stream (Engine.watch): each
 * workflow event writes its run's row, a deleted workflow ends its unfinished run in
 * Error, and a full list ends unfinished runs whose workflow the engine no longer has.
 * Events are written one after another, in the order the engine sent them.
 */
import type { Engine, WorkflowEvent } from '../../engine/types.ts';
import type { ServiceContext } from '../context.ts';
import { recordRunStatus, recordWorkflowStatus, WORKFLOW_GONE } from './refresh.ts';

/** A run submitted this recently may be missing from a list that was made before it was created. */
const LIST_GRACE = "interval '1 minute'";

export interface Following {
  /** Resolves once the engine's first full list (its first event) is written: every run then says what the engine says. */
  readonly listed: Promise<void>;
  /** Stops following and waits for the writes already started. */
  stop(): Promise<void>;
}

export function followEngine(
  ctx: Pick<ServiceContext, 'db' | 'runChanges'>,
  engine: Engine,
  warn: (err: unknown, what: string) => void,
): Following {
  let chain: Promise<void> = Promise.resolve();

  async function ended(name: string): Promise<void> {
    await recordRunStatus(ctx, name, { phase: 'Error', progress: null, message: WORKFLOW_GONE, startedAt: null, finishedAt: null });
  }

  async function apply(event: WorkflowEvent): Promise<void> {
    if (event.type !== 'LISTED' && event.type !== 'DELETED') {
      await recordWorkflowStatus(ctx, event.workflow);
      return;
    }
    if (event.type !== 'LISTED') {
      const name = event.workflow.metadata.name!;
      // A finished run keeps its record when its workflow is garbage-collected (TTL).
      const rows = await ctx.db.query('SELECT 1 FROM recipe_runs WHERE workflow_name = $1 AND finished_at IS NULL', [name]);
      if (rows.length > 0) await ended(name);
      return;
    }
    for (const wf of event.workflows) await recordWorkflowStatus(ctx, wf);
    const listed = event.workflows.map((wf) => wf.metadata.name ?? '');
    const missing = await ctx.db.query<{ workflow_name: string }>(
      `SELECT workflow_name FROM recipe_runs
       WHERE finished_at IS NULL AND workflow_name IS NOT NULL AND engine = $1
         AND submitted_at < now() - ${LIST_GRACE} AND NOT (workflow_name = ANY($2::text[]))`,
      [engine.kind, listed],
    );
    for (const { workflow_name } of missing) await ended(workflow_name);
  }

  let markListed: () => void = () => {};
  const listed = new Promise<void>((resolve) => (markListed = resolve));
  const unwatch = engine.watch((event) => {
    chain = chain
      .then(() => apply(event))
      .catch((err: unknown) => warn(err, `could not record a ${event.type} event`))
      .finally(() => {
        if (event.type === 'LISTED') markListed();
      });
  });

  return {
    listed,
    async stop() {
      markListed();
      unwatch();
      await chain;
    },
  };
}
