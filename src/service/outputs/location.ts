import type { Run } from '../runs/repository.ts';

/**
 * Where a `temporary` output lives in the artifact repository. The translation
 * stores the zip key-only at exactly this key.
 */
export function outputKey(run: Pick<Run, 'workflowName' | 'recipeId'>): string {
  return `${run.workflowName}/${run.recipeId}.zip`;
}
