import type { InputFile, Recipe, RecipeConfig } from '../../src/recipe/types.ts';
import type { TranslateOptions } from '../../src/translate/index.ts';

/** Deployment settings as the service would pass them. */
export const options: TranslateOptions = {
  namespace: 'qgnet',
  pvcName: 'cephfs-qgnet-ogdc-workflow-pvc',
  serviceAccountName: 'argo-workflow',
  runnerImage: 'ghcr.io/qgreenland-net/ogdc-runner:latest',
  imagePullPolicy: 'IfNotPresent',
  maxParallelLimit: 5,
  submitter: 'alice',
  overwrite: false,
  uploadPrefix: 'ogdc-inputs/00000000-0000-4000-8000-000000000000',
};

/** `n` URL inputs `https://data.example.org/files/file-<i>.gpkg`. */
export function urlInputs(n: number, base = 'https://data.example.org/files'): InputFile[] {
  return Array.from({ length: n }, (_, i) => ({ url: `${base}/file-${i}.gpkg`, filename: `file-${i}.gpkg` }));
}

type ShellOverrides = {
  name?: string;
  id?: string;
  parallel?: boolean;
  partitionSize?: number | null;
  output?: RecipeConfig['output']['type'];
  steps?: string[];
  inputs?: InputFile[];
};

/** A validated shell recipe, as loadRecipe would return it. */
export function shellRecipe(o: ShellOverrides = {}): Recipe {
  const name = o.name ?? 'Arctic circle reprojection';
  return {
    config: {
      name,
      id: o.id ?? name.toLowerCase().replace(/ /g, '-'),
      workflow: {
        type: 'shell',
        sh_file: 'recipe.sh',
        parallel: { enabled: o.parallel ?? false, partition_strategy: 'files', partition_size: o.partitionSize ?? null },
      },
      input: { params: [{ type: 'url', value: 'https://data.example.org/files/file-0.gpkg' }] },
      output: { type: o.output ?? 'pvc' } as RecipeConfig['output'],
    },
    steps: o.steps ?? ['ogr2ogr -t_srs "EPSG:3413" /output_dir/out.gpkg /input_dir/file-0.gpkg'],
    vizConfig: null,
    inputs: o.inputs ?? urlInputs(1),
  };
}

/** A validated visualization recipe (one URL input unless `inputs` or `params` say otherwise). */
export function vizRecipe(
  o: {
    output?: RecipeConfig['output']['type'];
    batchSize?: number;
    config?: Record<string, unknown> | null;
    parallel?: boolean;
    partitionSize?: number | null;
    maxParallelism?: number;
    inputs?: InputFile[];
    params?: RecipeConfig['input']['params'];
  } = {},
): Recipe {
  const inputs = o.params ? [] : (o.inputs ?? [{ url: 'https://data.example.org/ice_basins.gpkg', filename: 'ice_basins.gpkg' }]);
  const parallel: RecipeConfig['workflow']['parallel'] = {
    enabled: o.parallel ?? false,
    partition_strategy: 'files',
    partition_size: o.partitionSize ?? null,
  };
  if (o.maxParallelism !== undefined) parallel.max_parallelism = o.maxParallelism;
  return {
    config: {
      name: 'Ice basins visualization',
      id: 'ice-basins-visualization',
      workflow: { type: 'visualization', config_file: 'config.json', batch_size: o.batchSize ?? 250, parallel },
      input: { params: o.params ?? inputs.map((i) => ({ type: 'url' as const, value: i.url })) },
      output: { type: o.output ?? 'pvc' } as RecipeConfig['output'],
    },
    steps: [],
    vizConfig: o.config === undefined ? { deduplicate_clip_to_footprint: false, z_range: [0, 9] } : o.config,
    inputs,
  };
}
