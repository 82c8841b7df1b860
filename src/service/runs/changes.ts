/**
 * Run changes as they happen: every write of a run's status publishes one change, and
 * listeners (the web page's event stream) receive it. In one process this is an in-memory
 * fan-out; with several replicas on one PostgreSQL the same interface is fed by LISTEN/NOTIFY.
 */

/** What a listener learns about a run when its row changes. */
export interface RunChange {
  workflowName: string;
  /** The submitting user's id, so a stream shows each user only their own runs. */
  userId: number;
  phase: string | null;
  progress: string | null;
  message: string | null;
  /** When the row was written (ISO-8601). */
  at: string;
}

export interface RunChanges {
  /** Delivers `change` to every current listener; never throws. */
  publish(change: RunChange): void;
  /** Starts delivering changes to `listener`; returns the function that stops it. */
  subscribe(listener: (change: RunChange) => void): () => void;
}

/** The in-process fan-out: listeners are called synchronously, a failing listener is dropped from nothing else. */
export function createRunChanges(warn: (message: string) => void = () => {}): RunChanges {
  const listeners = new Set<(change: RunChange) => void>();
  return {
    publish(change) {
      for (const listener of listeners) {
        try {
          listener(change);
        } catch (err) {
          // One broken stream must not stop the others from hearing about the change.
          warn(`a run-change listener failed on ${change.workflowName}: ${(err as Error).message}`);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
