/** The local engine's change stream: a full list first, then every update the running workflows report and deletions. */
import type { Workflow, WorkflowEvent } from '../../types.ts';

/**
 * Subscribes `listener` to `updates` at once (nothing is missed), lists with `listAll` (retried with back-off until it
 * succeeds), and delivers that list as the first event; updates that arrive meanwhile follow it, in order. Returns
 * the unsubscribe function.
 */
export function watchUpdates(
  updates: Set<(event: WorkflowEvent) => void>,
  listAll: () => Promise<Workflow[]>,
  listener: (event: WorkflowEvent) => void,
  log: (message: string) => void,
): () => void {
  let held: WorkflowEvent[] | undefined = [];
  let stopped = false;
  const forward = (event: WorkflowEvent) => {
    if (held) held.push(event);
    else listener(event);
  };
  updates.add(forward);
  const release = () => {
    const pending = held ?? [];
    held = undefined;
    if (!stopped) for (const event of pending) listener(event);
  };
  // The list comes first, whatever it takes (the database may be restarting): until then updates are held.
  const list = (backoffMs: number): void => {
    listAll().then(
      (workflows) => {
        if (!stopped) listener({ type: 'LISTED', workflows });
        release();
      },
      (err: unknown) => {
        if (stopped) return;
        log(`local engine: listing workflows for a watch failed (retrying in ${backoffMs} ms): ${(err as Error).message}`);
        setTimeout(() => list(Math.min(backoffMs * 2, 5_000)), backoffMs).unref();
      },
    );
  };
  list(250);
  return () => {
    stopped = true;
    updates.delete(forward);
  };
}
