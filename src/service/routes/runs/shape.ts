import type { Run } from '../../runs/repository.ts';

const nullableString = { type: ['string', 'null'] } as const;

/** A run as the API shows it. */
export const runSchema = {
  type: 'object',
  properties: {
    recipe_workflow_name: nullableString,
    recipe_id: { type: 'string' },
    recipe_name: { type: 'string' },
    recipe_path: { type: 'string' },
    submitter: { type: 'string' },
    engine: { type: 'string' },
    output_type: { type: 'string' },
    overwrite: { type: 'boolean' },
    status: nullableString,
    progress: nullableString,
    message: nullableString,
    submitted_at: { type: 'string' },
    started_at: nullableString,
    finished_at: nullableString,
  },
} as const;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The API view of a run. */
export function runSummary(run: Run) {
  return {
    recipe_workflow_name: run.workflowName,
    recipe_id: run.recipeId,
    recipe_name: run.recipeName,
    recipe_path: run.recipePath,
    submitter: run.username,
    engine: run.engine,
    output_type: run.outputType,
    overwrite: run.overwrite,
    status: run.phase,
    progress: run.progress,
    message: run.message,
    submitted_at: run.submittedAt.toISOString(),
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
  };
}
