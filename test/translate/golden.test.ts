import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { translateRecipe, type TranslationResult } from '../../src/translate/index.ts';
import { options, shellRecipe, urlInputs, vizRecipe } from './fixtures.ts';

const goldenDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

/** Compares with the checked-in YAML; `UPDATE_GOLDEN=1` rewrites it instead. */
function assertGolden(name: string, result: TranslationResult): void {
  const file = path.join(goldenDir, `${name}.yaml`);
  const actual = JSON.parse(JSON.stringify(result)) as unknown;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
    writeFileSync(file, stringify(actual, { lineWidth: 0 }));
    return;
  }
  assert.deepEqual(actual, parse(readFileSync(file, 'utf8')), `manifest differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}

describe('golden manifests', () => {
  const cases: Array<[string, () => TranslationResult]> = [
    [
      'sequential-pvc',
      () =>
        translateRecipe(
          shellRecipe({
            steps: ['ogr2ogr -t_srs "EPSG:3413" /output_dir/out.gpkg /input_dir/file-0.gpkg', "echo 'done' > /output_dir/done.txt"],
          }),
          options,
        ),
    ],
    [
      'parallel-pvc',
      () =>
        translateRecipe(
          shellRecipe({
            parallel: true,
            partitionSize: 2,
            inputs: urlInputs(5),
            steps: ['ogr2ogr -f GPKG "$OUTPUT_DIR/$(basename "$INPUT_FILE")" "$INPUT_FILE"', 'cp "$INPUT_FILE" "$OUTPUT_FILE"'],
          }),
          options,
        ),
    ],
    ['sequential-temporary', () => translateRecipe(shellRecipe({ output: 'temporary' }), options)],
    [
      'visualization',
      () => translateRecipe(vizRecipe(), { ...options, vizImage: 'ghcr.io/permafrostdiscoverygateway/viz-workflow:0.3.1' }),
    ],
    ['visualization-parallel', () => translateRecipe(vizRecipe({ parallel: true, partitionSize: 100, inputs: urlInputs(3) }), options)],
    [
      'visualization-parallel-pvc',
      () =>
        translateRecipe(
          vizRecipe({
            parallel: true,
            params: [{ type: 'pvc_mount', claim_name: 'survey-data', path: '/tiles/', glob: '*.gpkg' }],
            config: { z_range: [0, 2], enable_stager: false, enable_3dtiles: false },
          }),
          options,
        ),
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name} renders as the checked-in manifest and validates against Argo's schema`, () => {
      const result = make();
      assert.deepEqual(validateWorkflowManifest(result.workflow), { valid: true });
      assertGolden(name, result);
    });
  }
});
