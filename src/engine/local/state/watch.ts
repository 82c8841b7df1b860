/** The local engine's change stream: a full list first, then every update the running workflows report. */
import type { Workflow, WorkflowEvent } from '../../types.ts';

/**
 * Subscribes `listener` to `updates` at once (nothing is missed), lists with `listAll`, and delivers that list as
 * the first event; updates that arrive while it lists follow it, in order. Returns the unsubscribe function.
 */
export function watchUpdates(
  updates: Set<(wf: Workflow) => void>,
  listAll: () => Promise<Workflow[]>,
  listener: (event: WorkflowEvent) => void,
  log: (message: string) => void,
): () => void {
  let held: Workflow[] | undefined = [];
  let stopped = false;
  const forward = (workflow: Workflow) => {
    if (held) held.push(workflow);
    else listener({ type: 'MODIFIED', workflow });
  };
  updates.add(forward);
  const release = () => {
    const pending = held ?? [];
    held = undefined;
    if (!stopped) for (const workflow of pending) listener({ type: 'MODIFIED', workflow });
  };
  listAll().then(
    (workflows) => {
      if (!stopped) listener({ type: 'LISTED', workflows });
      release();
    },
    (err: unknown) => {
      // Without the list, the updates alone still keep a follower current.
      log(`local engine: listing workflows for a watch failed: ${(err as Error).message}`);
      release();
    },
  );
  return () => {
    stopped = true;
    updates.delete(forward);
  };
}
