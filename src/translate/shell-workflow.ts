import type { Recipe } from '../recipe/types.ts';
import type { Template, WorkflowStep } from '../argo/types.ts';
import { buildParallelFetchTemplate, buildSequentialFetchTemplate } from './builders/fetch.ts';
import { buildPublishTemplate } from './builders/publish.ts';
import { buildParallelStepTemplate, buildSequentialStepTemplate, parallelStepOutputDir, stepTemplateName } from './builders/steps.ts';
import { buildMetadata, buildSpec, buildWorkflow } from './builders/workflow.ts';
import { InvalidRecipeForTranslationError } from './errors.ts';
import { checkInputFiles, inputsTsv } from './inputs.ts';
import { pvcInputs } from '../recipe/inputs/pvc.ts';
import { buildPvcPartitionTemplate, buildPvcStageTemplate, withInputClaims } from './builders/pvc-inputs.ts';
import { RUN_DIR } from './layout.ts';
import type { TranslateOptions, TranslationResult } from './types.ts';

/** Files per partition when `partition_size` is null, as in the Python runner. */
const DEFAULT_PARTITION_SIZE = 1000;

/** Steps argument handing step `from`'s `output-dir` on as `input-dir`. */
function passOutputDir(from: string): WorkflowStep['arguments'] {
  return { artifacts: [{ name: 'input-dir', from: `{{steps.${from}.outputs.artifacts.output-dir}}` }] };
}

/** Sequential shell recipe: fetch → one step per line, directories passed as artifacts → publish. */
export function translateSequentialShell(recipe: Recipe, options: TranslateOptions): TranslationResult {
  // pvc_mount inputs are linked in place of downloads (a recipe has either kind, never both).
  const claims = pvcInputs(recipe.config.input.params);
  const fetch = claims.length > 0 ? buildPvcStageTemplate(claims, options) : buildSequentialFetchTemplate(checkInputFiles(recipe), options);
  const stepTemplates = recipe.steps.map((line, i) => buildSequentialStepTemplate(i, line, options));
  const groups: WorkflowStep[][] = [[{ name: 'fetch', template: 'fetch' }]];
  let previous = 'fetch';
  recipe.steps.forEach((_, i) => {
    groups.push([{ name: `step-${i}`, template: stepTemplateName(i), arguments: passOutputDir(previous) }]);
    previous = `step-${i}`;
  });
  groups.push([{ name: 'publish', template: 'publish', arguments: passOutputDir(previous) }]);

  const templates: Template[] = [
    { name: 'main', steps: groups },
    fetch,
    ...stepTemplates,
    buildPublishTemplate(recipe, { kind: 'artifact' }, options),
  ];
  const workflow = buildWorkflow(buildMetadata(recipe, 'shell', options), buildSpec(recipe, options, templates));
  return { workflow: withInputClaims(workflow, claims), uploads: [] };
}

/** Files per partition of a parallel recipe: `partition_size`, or 1000 when null. */
export function partitionSizeOf(recipe: Recipe): number {
  const size = recipe.config.workflow.parallel.partition_size ?? DEFAULT_PARTITION_SIZE;
  if (!Number.isInteger(size) || size < 1) {
    throw new InvalidRecipeForTranslationError(
      recipe.config.id,
      'workflow.parallel.partition_size',
      `must be a positive whole number, got ${size}`,
    );
  }
  return size;
}

/**
 * Parallel shell recipe: fetch onto the volume → per line a fan-out over partitions → publish.
 *
 * The manifest does not grow with the number of inputs: the URL list goes into `uploads`
 * (`<uploadPrefix>/inputs.tsv`), read by `fetch` as a key-only artifact; `fetch` also writes the
 * partition file lists onto the volume. The manifest holds only the partition count
 * (`withSequence`), so 100,000 inputs render to the same size as 1,000.
 */
export function translateParallelShell(recipe: Recipe, options: TranslateOptions): TranslationResult {
  const claims = pvcInputs(recipe.config.input.params);
  const partitionSize = partitionSizeOf(recipe);
  // pvc_mount inputs are listed at run time: the fan-outs take their count from the stage step.
  const inputs = claims.length > 0 ? [] : checkInputFiles(recipe);
  const partitions = claims.length > 0 ? '{{steps.fetch.outputs.parameters.partitions}}' : String(Math.ceil(inputs.length / partitionSize));
  const prefix = options.uploadPrefix.replace(/\/+$/, '');
  if (prefix === '') {
    throw new InvalidRecipeForTranslationError(recipe.config.id, 'uploadPrefix', 'a parallel workflow needs a non-empty upload prefix');
  }
  const inputListKey = `${prefix}/inputs.tsv`;

  const groups: WorkflowStep[][] = [[{ name: 'fetch', template: 'fetch' }]];
  recipe.steps.forEach((_, i) => {
    groups.push([
      {
        name: `step-${i}`,
        template: stepTemplateName(i),
        arguments: { parameters: [{ name: 'partition', value: '{{item}}' }] },
        withSequence: { count: partitions },
      },
    ]);
  });
  groups.push([{ name: 'publish', template: 'publish' }]);

  const last = recipe.steps.length - 1;
  const finalDirs = last < 0 ? `"${RUN_DIR}/inputs"` : `"${parallelStepOutputDir(last, '')}"*`;
  const templates: Template[] = [
    { name: 'main', steps: groups },
    claims.length > 0
      ? buildPvcPartitionTemplate(claims, partitionSize, options)
      : buildParallelFetchTemplate(inputListKey, inputs.length, partitionSize, options),
    ...recipe.steps.map((line, i) => buildParallelStepTemplate(i, line, options)),
    buildPublishTemplate(recipe, { kind: 'volume', dirs: finalDirs }, options),
  ];
  // A recipe may ask for less parallelism than the service allows, never more.
  const parallelism = Math.min(options.maxParallelLimit, recipe.config.workflow.parallel.max_parallelism ?? Infinity);
  const spec = buildSpec(recipe, options, templates, parallelism);
  const workflow = buildWorkflow(buildMetadata(recipe, 'parallel-shell', options), spec);
  if (claims.length > 0) return { workflow: withInputClaims(workflow, claims), uploads: [] };
  return { workflow, uploads: [{ key: inputListKey, body: inputsTsv(inputs) }] };
}
