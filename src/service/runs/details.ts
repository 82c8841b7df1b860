/**
 * A run's workflow with its nodes, for `/runs/{name}`: fetched from the engine on demand
 * and kept per resource version, so repeated views of a run whose workflow has not changed
 * (the row's resource version, written from the engine's change stream, says so) cost no
 * engine request. Concurrent views of one version share one request.
 */
import { WorkflowNotFoundError } from '../../engine/errors.ts';
import type { Engine, Workflow } from '../../engine/types.ts';
import type { Run } from './repository.ts';

/** Workflows kept; a 10,000-node status is some megabytes, so only the recently viewed stay. */
const KEPT = 32;

export interface WorkflowDetails {
  /** The run's workflow, or undefined when the engine no longer has it. */
  get(run: Run): Promise<Workflow | undefined>;
}

export function createWorkflowDetails(engine: () => Engine | undefined): WorkflowDetails {
  const cache = new Map<string, { version: string; workflow: Promise<Workflow | undefined> }>();

  return {
    async get(run) {
      const eng = engine();
      if (!run.workflowName || !eng) return undefined;
      const name = run.workflowName;
      const hit = cache.get(name);
      if (hit && run.resourceVersion !== null && hit.version === run.resourceVersion) {
        // Most recently used last, so the oldest is evicted first.
        cache.delete(name);
        cache.set(name, hit);
        return hit.workflow;
      }
      const workflow = eng.get(name).catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        cache.delete(name);
        throw err;
      });
      const version = run.resourceVersion;
      if (version !== null) {
        cache.delete(name);
        cache.set(name, { version, workflow });
        // Keyed by what the row said; when the engine already has a newer version, the row catches up and the next view refetches.
        void workflow.then(
          (wf) => {
            const current = cache.get(name);
            const fetched = wf?.metadata.resourceVersion;
            if (current && current.workflow === workflow && fetched) current.version = fetched;
          },
          () => {},
        );
        while (cache.size > KEPT) cache.delete(cache.keys().next().value!);
      }
      return workflow;
    },
  };
}
