import { Type } from '@sinclair/typebox';
import type { Run } from '../../runs/repository.ts';
import { Nullable } from '../schemas.ts';

/** A run as the API shows it. */
export const runSchema = Type.Object({
  recipe_workflow_name: Nullable(Type.String()),
  recipe_id: Type.String(),
  recipe_name: Type.String(),
  recipe_path: Type.String(),
  submitter: Type.String(),
  engine: Type.String(),
  output_type: Type.String(),
  overwrite: Type.Boolean(),
  status: Nullable(Type.String()),
  progress: Nullable(Type.String()),
  message: Nullable(Type.String()),
  submitted_at: Type.String(),
  started_at: Nullable(Type.String()),
  finished_at: Nullable(Type.String()),
});

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
