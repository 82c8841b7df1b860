import { pvcInputs } from '../recipe/inputs/pvc.ts';
import type { Recipe } from '../recipe/types.ts';
import type { Template } from '../argo/types.ts';
import { NETWORK_ANNOTATION, inlineFetchScript } from './builders/fetch.ts';
import { stageScript, withInputClaims } from './builders/pvc-inputs.ts';
import { buildBatchTemplate, buildTileTemplate, buildVizConfigTemplate } from './builders/viz.ts';
import { buildMetadata, buildSpec, buildWorkflow, runnerContainer } from './builders/workflow.ts';
import { InvalidRecipeForTranslationError, UnsupportedOutputError } from './errors.ts';
import { checkInputFiles } from './inputs.ts';
import { publishedDir } from './layout.ts';
import type { TranslateOptions, TranslationResult } from './types.ts';
import { translateParallelVisualization } from './viz-parallel.ts';

/**
 * Visualization recipe (PVC output only). With `parallel.enabled` the Python runner's pipeline
 * (viz-parallel.ts); otherwise the serial form: stage config.json → fetch inputs onto the volume →
 * split them into batches of `batch_size` features → tile every batch in parallel (pdgstaging).
 * The output stays in the recipe's folder on the volume.
 */
export function translateVisualization(recipe: Recipe, options: TranslateOptions): TranslationResult {
  const { id, workflow, output } = recipe.config;
  if (workflow.type !== 'visualization') throw new Error('translateVisualization needs a visualization recipe');
  if (output.type !== 'pvc') throw new UnsupportedOutputError(id, output.type, 'visualization');
  if (workflow.parallel.enabled) return translateParallelVisualization(recipe, options);
  if (!Number.isInteger(workflow.batch_size) || workflow.batch_size < 1) {
    throw new InvalidRecipeForTranslationError(id, 'workflow.batch_size', `must be a positive whole number, got ${workflow.batch_size}`);
  }
  // pvc_mount inputs are linked into input/ (sub-folders kept) in place of downloads; batch reads them through the links.
  const claims = pvcInputs(recipe.config.input.params);
  const fetch: Template =
    claims.length > 0
      ? {
          name: 'fetch',
          container: runnerContainer(options, stageScript(claims, `${publishedDir(id)}/input`, 'absolute'), { volume: 'volume' }),
        }
      : {
          name: 'fetch',
          metadata: { annotations: { [NETWORK_ANNOTATION]: 'egress' } },
          // Fetches into the recipe's published folder, which stage-viz-config has just claimed.
          container: runnerContainer(
            options,
            inlineFetchScript(checkInputFiles(recipe), `${publishedDir(id)}/input`, options.allowPrivateSources),
            {
              volume: 'volume',
            },
          ),
        };

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
    fetch,
    buildBatchTemplate(id, workflow.batch_size, options),
    buildTileTemplate(id, options),
  ];
  const spec = buildSpec(recipe, options, templates, options.maxParallelLimit);
  const built = buildWorkflow(buildMetadata(recipe, 'visualization', options), spec);
  return { workflow: withInputClaims(built, claims), uploads: [] };
}
