import { temporaryOutputKey } from '../../argo/keys.ts';
import type { Run } from '../runs/repository.ts';

/** Where a run's `temporary` output lives in the artifact repository (the rule is src/argo/keys.ts's). */
export function outputKey(run: Pick<Run, 'workflowName' | 'recipeId'>): string {
  // A run that never reached the engine has no workflow, so no object at any key.
  return temporaryOutputKey(run.workflowName ?? '', run.recipeId);
}
