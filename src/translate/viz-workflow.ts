import type { Recipe } from '../recipe/types.ts';
import type { Template } from './argo-types.ts';
import { NETWORK_ANNOTATION, inlineFetchScript } from './builders/fetch.ts';
import { buildBatchTemplate, buildTileTemplate, buildVizConfigTemplate } from './builders/viz.ts';
import { buildMetadata, buildSpec, buildWorkflow, runnerContainer } from './builders/workflow.ts';
import { InvalidRecipeForTranslationError, UnsupportedOutputError } from './errors.ts';
import { checkInputFiles } from './inputs.ts';
import { publishedDir } from './layout.ts';
import type { TranslateOptions, TranslationResult } from './types.ts';

/**
 * Visualization recipe: stage config.json → fetch inputs onto the volume → split them into
 * batches of `batch_size` features → tile every batch in parallel (pdgstaging). The output stays
 * in the recipe's folder on the volume (PVC output only).
 */
export function translateVisualization(recipe: Recipe, options: TranslateOptions): TranslationResult {
  const { id, workflow, output } = recipe.config;
  if (workflow.type !== 'visualization') throw new Error('translateVisualization needs a visualization recipe');
  if (output.type !== 'pvc') throw new UnsupportedOutputError(id, output.type, 'visualization');
  if (!Number.isInteger(workflow.batch_size) || workflow.batch_size < 1) {
    throw new InvalidRecipeForTranslationError(id, 'workflow.batch_size', `must be a positive whole number, got ${workflow.batch_size}`);
  }
  const inputs = checkInputFiles(recipe);

  const templates: Template[] = [
    {
      name: 'main',
      steps: [
        [{ name: 'stage-viz-config', template: 'stage-viz-config' }],
        [{ name: 'fetch', template: 'fetch' }],
        [{ name: 'batch', template: 'batch' }],
        [
          {
            name: 'tile',
            template: 'tile',
            arguments: { parameters: [{ name: 'chunk', value: '{{item}}' }] },
            withParam: '{{steps.batch.outputs.result}}',
          },
        ],
      ],
    },
    buildVizConfigTemplate(id, recipe.vizConfig ?? {}, options),
    {
      name: 'fetch',
      metadata: { annotations: { [NETWORK_ANNOTATION]: 'egress' } },
      // Fetches into the recipe's published folder, which stage-viz-config has just claimed.
      container: runnerContainer(options, inlineFetchScript(inputs, `${publishedDir(id)}/input`, options.allowPrivateSources), { volume: 'volume' }),
    },
    buildBatchTemplate(id, workflow.batch_size, options),
    buildTileTemplate(id, options),
  ];
  const spec = buildSpec(recipe, options, templates, options.maxParallelLimit);
  return { workflow: buildWorkflow(buildMetadata(recipe, 'visualization', options), spec), uploads: [] };
}
