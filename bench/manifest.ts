/**
 * Manifest size and render time of a parallel shell recipe as the input
 * count grows: the manifest must not grow with the inputs (they travel as an
 * uploaded list), so 100,000 inputs should render about as small as 1,000.
 */
import { performance } from 'node:perf_hooks';
import type { Recipe } from '../src/recipe/types.ts';
import { loadConfig } from '../src/config/index.ts';
import { translateRecipe, type TranslateOptions } from '../src/translate/index.ts';
import { translateOptionsFrom } from '../src/translate/options.ts';

export interface ManifestFigure {
  inputs: number;
  /** `JSON.stringify` of the Workflow, as submitted to Argo. */
  manifestBytes: number;
  /** Size of the objects uploaded beside it (the partition input list). */
  uploadBytes: number;
  /** Median render time over the repetitions. */
  renderMs: number;
}

// The service's defaults, mapped as the service maps them.
const OPTIONS: TranslateOptions = translateOptionsFrom(loadConfig({}), {
  submitter: 'bench',
  overwrite: false,
  uploadPrefix: 'ogdc-inputs/00000000-0000-4000-8000-000000000000',
});

/** A validated parallel recipe (as loadRecipe returns it) with `n` URL inputs in partitions of 100. */
function parallelRecipe(n: number): Recipe {
  const inputs = Array.from({ length: n }, (_, i) => ({ url: `https://data.example.org/tiles/tile-${i}.tif`, filename: `tile-${i}.tif` }));
  return {
    config: {
      name: 'Bench parallel reprojection',
      id: 'bench-parallel-reprojection',
      workflow: { type: 'shell', sh_file: 'recipe.sh', parallel: { enabled: true, partition_strategy: 'files', partition_size: 100 } },
      input: { params: inputs.map((file) => ({ type: 'url' as const, value: file.url })) },
      output: { type: 'pvc' },
    },
    steps: ['gdalwarp -t_srs EPSG:3413 "$INPUT_FILE" "$OUTPUT_FILE"', 'gdal_translate -of COG "$INPUT_FILE" "$OUTPUT_FILE"'],
    vizConfig: null,
    inputs,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Renders the recipe `repetitions` times (after one warm-up) and reports size and median time. */
export function measureManifest(inputs: number, repetitions = 5): ManifestFigure {
  const recipe = parallelRecipe(inputs);
  let result = translateRecipe(recipe, OPTIONS);
  const times: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    result = translateRecipe(recipe, OPTIONS);
    times.push(performance.now() - start);
  }
  return {
    inputs,
    manifestBytes: Buffer.byteLength(JSON.stringify(result.workflow)),
    uploadBytes: result.uploads.reduce((sum, upload) => sum + Buffer.byteLength(upload.body), 0),
    renderMs: median(times),
  };
}
