import { pvcInputs } from '../recipe/inputs/pvc.ts';
import type { Recipe } from '../recipe/types.ts';
import type { DagTask, Template } from '../argo/types.ts';
import { buildListedDownloadTemplate } from './builders/fetch.ts';
import { withInputClaims } from './builders/pvc-inputs.ts';
import { buildVizConfigTemplate } from './builders/viz.ts';
import {
  buildListPvcFilesTemplate,
  buildStageManifestsTemplate,
  partitionsOf,
  vizInputDir,
  vizPartitionPathArg,
} from './builders/viz-partitions.ts';
import { buildVizStageTemplate, type VizStage } from './builders/viz-stages.ts';
import { publishedDir, VOLUME_NAME } from './layout.ts';
import { buildMetadata, buildSpec, buildWorkflow } from './builders/workflow.ts';
import { InvalidRecipeForTranslationError } from './errors.ts';
import { checkInputFiles, inputsTsv } from './inputs.ts';
import { partitionSizeOf } from './shell-workflow.ts';
import type { TranslateOptions, TranslationResult, Upload } from './types.ts';
import { configField, vizPlan } from './viz-config.ts';

const DESCRIPTION = 'Parallel visualization workflow (stage → rasterize → composite → web tiles → 3D tiles)';

/** A task whose partition manifests (folder `stage` of the run's partitions) feed a fan-out. */
interface ManifestSource {
  task: string;
  stage: string;
}

/** Collects the DAG and the templates it calls, each template once. */
class Pipeline {
  readonly tasks: DagTask[] = [];
  readonly templates = new Map<string, Template>();

  add(task: DagTask & { template: string }, template: () => Template): string {
    this.tasks.push(task);
    if (!this.templates.has(task.template)) this.templates.set(task.template, template());
    return task.name;
  }
}

/**
 * Parallel visualization recipe: upstream's pipeline as a DAG of fan-outs over partition manifests kept in the
 * run's area of the volume (`_ogdc-runs/<workflow>/partitions/<stage>/partition-<n>.json`):
 *
 * setup-config → (URL/DataONE inputs: fetch → write-stage-partition-manifests | pvc_mount: list-pvc-files)
 * → stage-files → discover-staged-tiles → rasterize-max-z and create-3dtiles → per zoom level from the deepest
 * but one: discover-parents-z-N → create-composites-z-N → discover-all-geotiffs → create-web-tiles.
 *
 * Stages config.json switches off are left out, and so are parent levels and web tiles without rasterization
 * (nothing to build them from); with the stager off, pvc_mount inputs feed rasterization and 3D tiles (staged
 * tiles) or, with the rasterizer off too, web tiles (GeoTIFFs) directly. Every fan-out takes its list at run
 * time from the step before it, and the URL list travels as an upload, so the manifest does not grow with the
 * inputs.
 */
export function translateParallelVisualization(recipe: Recipe, options: TranslateOptions): TranslationResult {
  const { id } = recipe.config;
  const plan = vizPlan(recipe);
  const size = partitionSizeOf(recipe);
  const claims = pvcInputs(recipe.config.input.params);
  if (!plan.stager && claims.length === 0) {
    throw new InvalidRecipeForTranslationError(
      id,
      configField(recipe, 'enable_stager'),
      'the stager can be switched off only when pvc_mount inputs hold the staged tiles or GeoTIFFs (the output folder starts empty)',
    );
  }
  const b = new VizBuilder(id, size, options);
  const setup = b.p.add({ name: 'setup-config', template: 'stage-viz-config' }, () =>
    buildVizConfigTemplate(id, recipe.vizConfig ?? {}, options, [...new Set([...(claims.length > 0 ? [] : ['input']), ...plan.dirs])]),
  );
  const inputs = claims.length > 0 ? b.pvcInputStages(claims, plan.stager, setup) : b.fetchStages(recipe, setup);
  processingStages(b, plan, inputs);

  const templates: Template[] = [{ name: 'main', dag: { tasks: b.p.tasks } }, ...b.p.templates.values()];
  // A recipe may ask for less parallelism than the service allows, never more.
  const parallelism = Math.min(options.maxParallelLimit, recipe.config.workflow.parallel.max_parallelism ?? Infinity);
  const metadata = {
    ...buildMetadata(recipe, 'visualization', options),
    annotations: { 'workflows.argoproj.io/description': DESCRIPTION },
  };
  const workflow = buildWorkflow(metadata, buildSpec(recipe, options, templates, parallelism));
  return { workflow: withInputClaims(workflow, claims), uploads: inputs.uploads };
}

/** What the input stages leave: the tasks the next stage waits for, and the listed pvc_mount files when the stager is off. */
interface InputStages {
  current: string[];
  direct: ManifestSource | undefined;
  uploads: Upload[];
}

/** The pipeline with the stage helpers every part of the DAG uses. */
class VizBuilder {
  readonly p = new Pipeline();

  constructor(
    private readonly id: string,
    private readonly size: number,
    private readonly options: TranslateOptions,
  ) {}

  stage(name: string, template: VizStage, dependencies: string[], extra: Partial<DagTask> = {}): string {
    return this.p.add({ name, template, dependencies, ...extra }, () => buildVizStageTemplate(this.id, template, this.size, this.options));
  }

  fanOut(from: ManifestSource, parameter: string) {
    return {
      withParam: partitionsOf(from.task),
      arguments: { parameters: [{ name: parameter, value: vizPartitionPathArg(from.stage) }] },
    };
  }

  stageFiles(from: ManifestSource): string {
    const args = this.fanOut(from, 'partition-manifest-path');
    args.arguments.parameters.unshift({ name: 'partition-id', value: '{{item.partition_id}}' });
    return this.stage('stage-files', 'stage-files', [from.task], args);
  }

  /** pvc_mount inputs: their files listed, then staged (with the stager off, the listed files are what the later stages take). */
  pvcInputStages(claims: ReturnType<typeof pvcInputs>, stager: boolean, setup: string): InputStages {
    const list = this.p.add({ name: 'list-pvc-files', template: 'list-pvc-files', dependencies: [setup] }, () =>
      buildListPvcFilesTemplate(claims, this.size, this.options),
    );
    const source = { task: list, stage: 'pvc-inputs' };
    if (stager) return { current: [this.stageFiles(source)], direct: undefined, uploads: [] };
    return { current: [list], direct: source, uploads: [] };
  }

  /** URL and DataONE inputs: fetched from the uploaded list, partitioned, then staged. */
  fetchStages(recipe: Recipe, setup: string): InputStages {
    const { id, options } = this;
    const inputs = checkInputFiles(recipe);
    const prefix = options.uploadPrefix.replace(/\/+$/, '');
    if (prefix === '') {
      throw new InvalidRecipeForTranslationError(id, 'uploadPrefix', 'a parallel workflow needs a non-empty upload prefix');
    }
    const key = `${prefix}/inputs.tsv`;
    const fetch = this.p.add({ name: 'fetch', template: 'fetch', dependencies: [setup] }, () =>
      buildListedDownloadTemplate(
        key,
        inputs.length,
        vizInputDir(id),
        [{ name: VOLUME_NAME, mountPath: publishedDir(id), subPath: id }],
        options,
      ),
    );
    const manifests = this.p.add(
      { name: 'write-stage-partition-manifests', template: 'write-stage-partition-manifests', dependencies: [fetch] },
      () => buildStageManifestsTemplate(id, this.size, options),
    );
    return {
      current: [this.stageFiles({ task: manifests, stage: 'stage-files' })],
      direct: undefined,
      uploads: [{ key, body: inputsTsv(inputs) }],
    };
  }
}

/** Staged tiles → rasterization and 3D tiles → parent levels → web tiles, as far as the plan goes. */
function processingStages(b: VizBuilder, plan: ReturnType<typeof vizPlan>, { current, direct }: InputStages): void {
  let staged = direct;
  if ((plan.raster || plan.threeDTiles) && !staged) {
    staged = { task: b.stage('discover-staged-tiles', 'discover-staged-tiles', current), stage: 'staged-tiles' };
  }
  let rasterized: string | undefined;
  if (plan.raster && staged) {
    rasterized = b.stage('rasterize-max-z', 'rasterize-max-z', [staged.task], b.fanOut(staged, 'staged-tiles-manifest-path'));
  }
  if (plan.threeDTiles && staged)
    b.stage('create-3dtiles', 'create-3dtiles', [staged.task], b.fanOut(staged, 'staged-tiles-manifest-path'));

  // Parent levels one zoom level at a time, deepest first: each needs the level below it complete. The output
  // folder starts empty, so without rasterization there are no GeoTIFFs to build parents (or, unless listed
  // pvc_mount GeoTIFFs feed them, web tiles) from.
  let composited: string | undefined;
  if (plan.rasterParents && rasterized) {
    let previous = rasterized;
    for (let z = plan.maxZ - 1; z >= plan.minZ; z--) {
      const discover = b.stage(`discover-parents-z-${z}`, 'discover-parent-tiles', [previous], {
        arguments: { parameters: [{ name: 'z-level', value: String(z) }] },
      });
      previous = b.stage(
        `create-composites-z-${z}`,
        'create-composite-z',
        [discover],
        b.fanOut({ task: discover, stage: `parent-tiles-z-${z}` }, 'parent-tiles-manifest-path'),
      );
      composited = previous;
    }
  }
  const anchor = composited ?? rasterized;
  if (plan.webTiles && anchor) {
    const discover = b.stage('discover-all-geotiffs', 'discover-all-geotiffs', [anchor]);
    b.stage('create-web-tiles', 'create-web-tiles', [discover], b.fanOut({ task: discover, stage: 'geotiffs' }, 'geotiff-manifest-path'));
  } else if (plan.webTiles && direct) {
    b.stage('create-web-tiles', 'create-web-tiles', [direct.task], b.fanOut(direct, 'geotiff-manifest-path'));
  }
}
