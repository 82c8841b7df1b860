import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { loadRecipe } from '../../src/recipe/load.ts';
import { translateRecipe } from '../../src/translate/index.ts';
import { type DataoneStandin, startDataoneStandin } from '../helpers/dataone-standin.ts';
import { corpusDatasets, recipeCorpusDir } from '../helpers/recipe-corpus.ts';
import { options } from './fixtures.ts';

/** The corpus recipes the README calls valid, with the workflow kind each should become. */
const validRecipes: Array<[string, string]> = [
  ['ogdc-recipes/seal-tags', 'water-measurements-from-seal-tag-data-shell-'],
  ['ogdc-recipes/sea-ice-conc', 'september-2023-sea-ice-concentration-average-shell-'],
  ['ogdc-recipes/greenland-ice-sheet', 'greenland-ice-sheet-sea-level-contribution-shell-'],
  ['ogdc-recipes/agb-plant', 'arctic-plant-agb-greenland-shell-'],
  ['upstream-tests/test_shell_workflow_recipe_dir', 'test-ogdc-workflow-shell-'],
  ['upstream-tests/test_parallel_shell_recipe_dir', 'test-parallel-shell-workflow-parallel-shell-'],
  ['upstream-tests/test_temp_output_recipe_dir', 'test-ogdc-workflow-shell-'],
  ['upstream-tests/test_viz_workflow_recipe_dir', 'adc-visualization-workflow-visualization-'],
];

describe('every valid recipe of the shared corpus renders a schema-valid manifest', () => {
  let node: DataoneStandin;
  before(async () => {
    node = await startDataoneStandin(corpusDatasets);
  });
  after(() => node.close());

  for (const [dir, generateName] of validRecipes) {
    it(`${dir} renders as ${generateName}…`, async () => {
      const recipe = await loadRecipe(path.join(recipeCorpusDir(), dir), { dataoneNodeUrl: node.url, timeoutMs: 5000 });
      const { workflow, uploads } = translateRecipe(recipe, options);
      assert.deepEqual(validateWorkflowManifest(workflow), { valid: true });
      assert.equal(workflow.metadata.generateName, generateName);
      assert.equal(workflow.metadata.labels?.['ogdc/recipe-id'], recipe.config.id);
      const parallel = recipe.config.workflow.type === 'shell' && recipe.config.workflow.parallel.enabled;
      assert.equal(uploads.length, parallel ? 1 : 0);
      // Every recipe line appears verbatim as the argument of its step.
      const text = JSON.stringify(workflow);
      for (const line of recipe.steps) assert.ok(text.includes(JSON.stringify(line)), `line missing: ${line}`);
    });
  }
});
