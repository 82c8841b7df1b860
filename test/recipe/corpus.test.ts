import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RecipeValidationError } from '../../src/recipe/errors.ts';
import { loadRecipe } from '../../src/recipe/load.ts';
import { type DataoneStandin, startDataoneStandin } from '../helpers/dataone-standin.ts';
import { corpusDatasets, recipeCorpusDir } from '../helpers/recipe-corpus.ts';

const corpus = recipeCorpusDir();
let node: DataoneStandin;
const load = (recipe: string) => loadRecipe(path.join(corpus, recipe), { dataoneNodeUrl: node.url, timeoutMs: 5000 });

describe('the shared recipe corpus gives the README verdicts', () => {
  before(async () => {
    node = await startDataoneStandin(corpusDatasets, { maxRows: 2 });
  });
  after(() => node.close());

  it('seal-tags: one DataONE object selected by exact file name, found across pages', async () => {
    const recipe = await load('ogdc-recipes/seal-tags');
    assert.equal(recipe.config.id, 'water-measurements-from-seal-tag-data');
    assert.equal(recipe.config.output.type, 'temporary');
    assert.equal(recipe.steps.length, 1);
    assert.match(recipe.steps[0]!, /^ogr2ogr /);
    assert.deepEqual(
      recipe.inputs.map((i) => i.filename),
      ['ct71_ODV.csv'],
    );
    const input = recipe.inputs[0]!;
    assert.equal(input.identifier, 'urn:uuid:resource_map_urn:uuid:cfe3fbb2-0585-40b5-8243-8fa47fcfeb9b/ct71_ODV.csv');
    assert.equal(input.url, `${node.url}/v2/object/${encodeURIComponent(input.identifier!)}`);
    assert.ok(input.size! > 0);
    // 6 data objects at 2 rows a page: the resolver must have asked for 3 pages.
    assert.equal(node.requests.filter((r) => r.includes('cfe3fbb2')).length, 3);
  });

  it('sea-ice-conc: a URL input and four steps', async () => {
    const recipe = await load('ogdc-recipes/sea-ice-conc');
    assert.equal(recipe.steps.length, 4);
    assert.deepEqual(recipe.inputs, [
      {
        url: 'https://noaadata.apps.nsidc.org/NOAA/G02135/north/monthly/geotiff/09_Sep/N_202309_concentration_v4.0.tif',
        filename: 'N_202309_concentration_v4.0.tif',
      },
    ]);
  });

  it('greenland-ice-sheet: a * glob selects only the matching files', async () => {
    const recipe = await load('ogdc-recipes/greenland-ice-sheet');
    assert.deepEqual(
      recipe.inputs.map((i) => i.filename),
      ['percent_gris_2015.nc', 'percent_gris_2016.nc', 'percent_gris_2017.nc', 'percent_gris_2018.nc', 'percent_gris_2019.nc'],
    );
    assert.equal(recipe.steps.length, 1);
  });

  it('agb-plant: three inputs from one dataset, queried once', async () => {
    const before = node.requests.filter((r) => r.includes('A2NS0M06B')).length;
    const recipe = await load('ogdc-recipes/agb-plant');
    assert.deepEqual(
      recipe.inputs.map((i) => i.filename),
      ['plant_agb_2020_p500_A3.tif', 'plant_agb_2020_p500_B2.tif', 'plant_agb_2020_p500_B3.tif'],
    );
    assert.equal(node.requests.filter((r) => r.includes('A2NS0M06B')).length - before, 4, '7 objects at 2 a page is 4 pages, once');
    assert.equal(recipe.steps.length, 2);
  });

  it('viz-workflow: invalid, because a visualization workflow can only publish to pvc', async () => {
    const error = await load('ogdc-recipes/viz-workflow').then(
      () => assert.fail('expected the viz-workflow recipe to be invalid'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RecipeValidationError);
    const onOutput = error.problems.filter((p) => p.path === 'output');
    assert.ok(onOutput.length >= 1);
    assert.ok(onOutput.every((p) => p.file === 'meta.yml'));
    assert.match(
      error.message,
      /^meta\.yml: output \(line \d+\): a visualization workflow can only publish to "pvc", but output is "dataone" \(implied by output\.dataone_id "TODO"\)/m,
    );
    assert.match(error.message, /publishing to DataONE is not supported yet/);
    assert.doesNotMatch(error.message, /unknown key/, 'dataone_id belongs to a dataone output and is not an unknown key');
  });

  it('upstream shell recipe: pvc output, one step', async () => {
    const recipe = await load('upstream-tests/test_shell_workflow_recipe_dir');
    assert.equal(recipe.config.id, 'test-ogdc-workflow');
    assert.deepEqual(recipe.config.output, { type: 'pvc' });
    assert.deepEqual(
      recipe.inputs.map((i) => i.filename),
      ['arctic_circle.geojson'],
    );
    assert.deepEqual(recipe.config.workflow, {
      type: 'shell',
      sh_file: 'recipe.sh',
      parallel: { enabled: false, partition_strategy: 'files', partition_size: null },
    });
  });

  it('upstream parallel recipe: five URL inputs in partitions of 2, output defaulting to pvc', async () => {
    const recipe = await load('upstream-tests/test_parallel_shell_recipe_dir');
    assert.equal(recipe.inputs.length, 5);
    assert.deepEqual(recipe.config.workflow.parallel, { enabled: true, partition_strategy: 'files', partition_size: 2 });
    assert.deepEqual(recipe.config.output, { type: 'pvc' });
    assert.equal(recipe.steps.length, 2, 'the #!/bin/sh line is a comment, not a step');
  });

  it('upstream temporary-output recipe', async () => {
    const recipe = await load('upstream-tests/test_temp_output_recipe_dir');
    assert.deepEqual(recipe.config.output, { type: 'temporary' });
  });

  it('upstream visualization recipe: config.json parsed, batch size defaulted', async () => {
    const recipe = await load('upstream-tests/test_viz_workflow_recipe_dir');
    assert.equal(recipe.config.id, 'adc-visualization-workflow');
    assert.deepEqual(recipe.vizConfig, { deduplicate_clip_to_footprint: false });
    assert.deepEqual(recipe.steps, []);
    assert.deepEqual(recipe.config.workflow, {
      type: 'visualization',
      config_file: 'config.json',
      batch_size: 250,
      parallel: { enabled: false, partition_strategy: 'files', partition_size: null },
    });
  });
});
