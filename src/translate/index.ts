import type { Recipe } from '../recipe/types.ts';
import { UnsupportedOutputError } from './errors.ts';
import { checkRecipeId } from './inputs.ts';
import { translateParallelShell, translateSequentialShell } from './shell-workflow.ts';
import type { TranslateOptions, TranslationResult } from './types.ts';
import { translateVisualization } from './viz-workflow.ts';

export type { TranslateOptions, TranslationResult, Upload } from './types.ts';

/**
 * Turns a validated recipe (inputs resolved) into an Argo Workflow manifest plus the objects to
 * store in the artifact repository before submitting it. Pure: no I/O.
 */
export function translateRecipe(recipe: Recipe, options: TranslateOptions): TranslationResult {
  const { id, workflow, output } = recipe.config;
  checkRecipeId(id);
  if (workflow.type === 'visualization') return translateVisualization(recipe, options);
  if (output.type !== 'pvc' && output.type !== 'temporary') {
    throw new UnsupportedOutputError(id, output.type, workflow.type);
  }
  return workflow.parallel.enabled ? translateParallelShell(recipe, options) : translateSequentialShell(recipe, options);
}
