import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import type { DagTask, Template } from '../../src/argo/types.ts';
import { translateRecipe } from '../../src/translate/index.ts';
import type { Recipe } from '../../src/recipe/types.ts';
import { loadRecipe } from '../../src/recipe/load.ts';
import { recipeCorpusDir } from '../helpers/recipe-corpus.ts';
import { options, urlInputs, vizRecipe } from './fixtures.ts';

const PVC = [{ type: 'pvc_mount' as const, claim_name: 'ogdc-test-pvc', path: '/tiles/OGDC/QGnet/viz-workflow/', glob: 'ice_basins.gpkg' }];
const RUN_PARTS = '/mnt/workflow/_ogdc-runs/{{workflow.name}}/partitions';

function render(recipe: Recipe, opts = options) {
  const result = translateRecipe(recipe, opts);
  assert.deepEqual(validateWorkflowManifest(result.workflow), { valid: true });
  const spec = result.workflow.spec as {
    parallelism?: number;
    volumes: Array<{ name: string; persistentVolumeClaim: { claimName: string } }>;
    templates: Template[];
  };
  const template = (name: string) => {
    const found = spec.templates.find((t) => t.name === name);
    assert.ok(found, `no template ${name}`);
    return found;
  };
  const tasks: DagTask[] = spec.templates[0]!.dag?.tasks ?? [];
  const task = (name: string) => {
    const found = tasks.find((t) => t.name === name);
    assert.ok(found, `no task ${name} in ${tasks.map((t) => t.name).join(', ')}`);
    return found;
  };
  const mounts = (name: string) => {
    const t = template(name);
    return (t.container ?? t.script)!.volumeMounts!.map((m) => m.mountPath);
  };
  return { ...result, spec, tasks, names: tasks.map((t) => t.name), task, template, mounts };
}

const parallel = (o: Parameters<typeof vizRecipe>[0] = {}) => vizRecipe({ parallel: true, ...o });

describe('parallel visualization manifests', () => {
  it('keeps the serial form when parallel is off: steps, no DAG, pdgstaging batches', () => {
    const r = render(vizRecipe());
    assert.deepEqual(r.tasks, []);
    const main = r.template('main');
    assert.deepEqual(
      main.steps!.map((g) => g.map((s) => s.name)),
      [['stage-viz-config'], ['fetch'], ['batch'], ['tile']],
    );
  });

  it('runs upstream’s pipeline in order, each stage a fan-out over partition manifests in the run’s area', () => {
    const r = render(parallel({ config: { z_range: [3, 5] } }));
    assert.deepEqual(r.names, [
      'setup-config',
      'fetch',
      'write-stage-partition-manifests',
      'stage-files',
      'discover-staged-tiles',
      'rasterize-max-z',
      'create-3dtiles',
      'discover-parents-z-4',
      'create-composites-z-4',
      'discover-parents-z-3',
      'create-composites-z-3',
      'discover-all-geotiffs',
      'create-web-tiles',
    ]);
    assert.deepEqual(r.task('stage-files'), {
      name: 'stage-files',
      template: 'stage-files',
      dependencies: ['write-stage-partition-manifests'],
      withParam: '{{tasks.write-stage-partition-manifests.outputs.parameters.partitions}}',
      arguments: {
        parameters: [
          { name: 'partition-id', value: '{{item.partition_id}}' },
          { name: 'partition-manifest-path', value: `${RUN_PARTS}/stage-files/partition-{{item.partition_id}}.json` },
        ],
      },
    });
    // Parent levels strictly one after another, the deepest first, after rasterization.
    assert.deepEqual(r.task('discover-parents-z-4').dependencies, ['rasterize-max-z']);
    assert.deepEqual(r.task('discover-parents-z-3').dependencies, ['create-composites-z-4']);
    assert.equal(r.task('create-composites-z-3').withParam, '{{tasks.discover-parents-z-3.outputs.parameters.partitions}}');
    assert.deepEqual(r.task('discover-all-geotiffs').dependencies, ['create-composites-z-3']);
    // 3D tiles run beside rasterization, from the same staged-tile manifests.
    assert.deepEqual(r.task('create-3dtiles').dependencies, ['discover-staged-tiles']);
    assert.equal(
      r.task('create-3dtiles').arguments?.parameters?.[0]?.value,
      `${RUN_PARTS}/staged-tiles/partition-{{item.partition_id}}.json`,
    );
  });

  it('uses upstream’s images and resources: pdgworkflow for the stages, the runner image for setup and listing', () => {
    const r = render(parallel());
    for (const name of [
      'stage-files',
      'discover-staged-tiles',
      'rasterize-max-z',
      'discover-parent-tiles',
      'create-composite-z',
      'discover-all-geotiffs',
      'create-web-tiles',
      'create-3dtiles',
    ]) {
      const script = r.template(name).script!;
      assert.equal(script.image, 'ghcr.io/permafrostdiscoverygateway/pdgworkflow:latest', name);
      assert.deepEqual(script.command, ['python'], name);
      assert.match(script.source, /from pdgworkflow import WorkflowManager/, name);
    }
    assert.deepEqual(r.template('rasterize-max-z').script!.resources, {
      requests: { cpu: '1', memory: '4Gi' },
      limits: { cpu: '4', memory: '12Gi' },
    });
    assert.deepEqual(r.template('create-3dtiles').script!.resources!.requests, { cpu: '2', memory: '4Gi' });
    for (const name of ['stage-viz-config', 'fetch', 'write-stage-partition-manifests'])
      assert.equal(r.template(name).container!.image, options.runnerImage, name);
    const pinned = render(parallel(), { ...options, vizWorkflowImage: 'ghcr.io/permafrostdiscoverygateway/pdgworkflow:0.4.1' });
    assert.equal(pinned.template('stage-files').script!.image, 'ghcr.io/permafrostdiscoverygateway/pdgworkflow:0.4.1');
  });

  it('caps parallelism at the service limit, lower when the recipe asks (max_parallelism)', () => {
    assert.equal(render(parallel()).spec.parallelism, options.maxParallelLimit);
    assert.equal(render(parallel({ maxParallelism: 2 })).spec.parallelism, 2);
    assert.equal(render(parallel({ maxParallelism: 17 })).spec.parallelism, options.maxParallelLimit);
  });

  it('lets the stage pods see only the recipe’s output folder and the run’s area of the volume', () => {
    const r = render(parallel());
    assert.deepEqual(r.template('stage-files').script!.volumeMounts, [
      { name: 'workflow-volume', mountPath: '/mnt/workflow/ice-basins-visualization', subPath: 'ice-basins-visualization' },
      { name: 'workflow-volume', mountPath: '/mnt/workflow/_ogdc-runs/{{workflow.name}}', subPath: '_ogdc-runs/{{workflow.name}}' },
    ]);
  });

  it('leaves out the stages config.json switches off', () => {
    const r = render(
      parallel({ config: { enable_raster: false, enable_raster_parents: false, enable_web_tiles: false, enable_3dtiles: false } }),
    );
    assert.deepEqual(r.names, ['setup-config', 'fetch', 'write-stage-partition-manifests', 'stage-files']);
    // Without rasterization there are no GeoTIFFs: no parent levels, no web tiles.
    assert.deepEqual(render(parallel({ config: { enable_raster: false } })).names, [
      'setup-config',
      'fetch',
      'write-stage-partition-manifests',
      'stage-files',
      'discover-staged-tiles',
      'create-3dtiles',
    ]);
    const noComposites = render(parallel({ config: { z_range: [2, 2] } }));
    assert.ok(!noComposites.names.some((n) => n.startsWith('discover-parents')));
    assert.deepEqual(noComposites.task('discover-all-geotiffs').dependencies, ['rasterize-max-z']);
  });

  it('creates the configured relative folders below the output folder, never absolute ones or ones with ..', () => {
    const r = render(
      parallel({
        params: PVC,
        config: {
          dir_staged: '/mnt/data/ogdc-test-pvc/staged',
          dir_3dtiles: 'output/3dtiles',
          dir_geotiff: '../elsewhere',
          enable_stager: false,
          enable_web_tiles: false,
        },
      }),
    );
    const script = r.template('stage-viz-config').container!.args![0]!;
    assert.match(script, /mkdir -p "\$DIR\/output\/3dtiles"\n/);
    assert.doesNotMatch(script, /mkdir -p[^\n]*(\/mnt\/data|elsewhere)/);
    const odd = render(parallel({ config: { dir_staged: "it's staged/", enable_raster: false, enable_3dtiles: false } }));
    assert.match(odd.template('stage-viz-config').container!.args![0]!, /mkdir -p "\$DIR\/input" "\$DIR"\/'it'\\''s staged'\n/);
  });
});

describe('parallel visualization with pvc_mount inputs (upstream test cases)', () => {
  it('lists the claim at run time and stages from its manifests; the claim is mounted read-only in listing and stage pods', () => {
    const r = render(parallel({ params: PVC, partitionSize: 10 }));
    assert.deepEqual(r.uploads, []);
    assert.deepEqual(
      r.spec.volumes.map((v) => v.persistentVolumeClaim.claimName),
      [options.pvcName, 'ogdc-test-pvc'],
    );
    assert.ok(r.names.includes('list-pvc-files') && !r.names.includes('fetch'));
    assert.equal(r.task('stage-files').withParam, '{{tasks.list-pvc-files.outputs.parameters.partitions}}');
    assert.equal(r.task('stage-files').arguments!.parameters![1]!.value, `${RUN_PARTS}/pvc-inputs/partition-{{item.partition_id}}.json`);
    for (const name of ['list-pvc-files', 'stage-files', 'rasterize-max-z', 'create-web-tiles'])
      assert.ok(r.mounts(name).includes('/mnt/data/ogdc-test-pvc'), name);
    const listing = r.template('list-pvc-files').container!.args![0]!;
    assert.match(listing, /list_input \/mnt\/data\/ogdc-test-pvc\/tiles\/OGDC\/QGnet\/viz-workflow ice_basins\.gpkg\n/);
    assert.match(listing, /-v size=10 /);
  });

  it('does not carry a claim into a later render without pvc_mount inputs', () => {
    render(parallel({ params: PVC }));
    const plain = render(parallel());
    assert.deepEqual(
      plain.spec.volumes.map((v) => v.name),
      ['workflow-volume'],
    );
    assert.ok(!plain.mounts('stage-files').some((m) => m.startsWith('/mnt/data')));
  });

  it('with the stager off, starts rasterization and 3D tiles from the listed files', () => {
    const r = render(
      parallel({
        params: PVC,
        partitionSize: 5,
        config: {
          dir_staged: '/mnt/data/ogdc-test-pvc/staged',
          enable_stager: false,
          enable_raster_parents: false,
          enable_web_tiles: false,
        },
      }),
    );
    assert.ok(!r.names.includes('stage-files') && !r.names.includes('discover-staged-tiles'));
    for (const name of ['rasterize-max-z', 'create-3dtiles']) {
      assert.equal(r.task(name).withParam, '{{tasks.list-pvc-files.outputs.parameters.partitions}}');
      assert.deepEqual(r.task(name).arguments!.parameters, [
        { name: 'staged-tiles-manifest-path', value: `${RUN_PARTS}/pvc-inputs/partition-{{item.partition_id}}.json` },
      ]);
    }
  });

  it('with the stager and rasterizer off, makes web tiles straight from the listed GeoTIFFs', () => {
    const r = render(parallel({ params: PVC, config: { enable_stager: false, enable_raster: false, enable_3dtiles: false } }));
    assert.deepEqual(r.names, ['setup-config', 'list-pvc-files', 'create-web-tiles']);
    assert.equal(r.task('create-web-tiles').withParam, '{{tasks.list-pvc-files.outputs.parameters.partitions}}');
    assert.equal(
      r.task('create-web-tiles').arguments!.parameters![0]!.value,
      `${RUN_PARTS}/pvc-inputs/partition-{{item.partition_id}}.json`,
    );
    assert.match(r.template('create-web-tiles').script!.source, /isinstance\(item, dict\)/);
  });
});

describe('serial visualization with pvc_mount inputs', () => {
  it('links the matching files into input/ instead of downloading, with the claim mounted where batch and tile read them', () => {
    const r = render(vizRecipe({ params: PVC }));
    const fetch = r.template('fetch');
    assert.equal(fetch.metadata, undefined, 'no network for linking');
    assert.match(fetch.container!.args![0]!, /DEST=\/mnt\/workflow\/ice-basins-visualization\/input\n/);
    assert.match(fetch.container!.args![0]!, /stage_input \/mnt\/data\/ogdc-test-pvc\/tiles\/OGDC\/QGnet\/viz-workflow ice_basins\.gpkg\n/);
    for (const name of ['fetch', 'batch', 'tile']) assert.ok(r.mounts(name).includes('/mnt/data/ogdc-test-pvc'), name);
    assert.match(r.template('batch').script!.source, /rglob\("\*"\)/);
  });
});

describe('parallel visualization manifests do not grow with the inputs', () => {
  const size = (n: number) => {
    const { workflow, uploads } = translateRecipe(parallel({ inputs: urlInputs(n), partitionSize: 50 }), options);
    assert.deepEqual(validateWorkflowManifest(workflow), { valid: true });
    const text = JSON.stringify(workflow);
    assert.ok(!text.includes('data.example.org'), 'an input URL is in the manifest');
    assert.equal(uploads[0]!.body.split('\n').filter(Boolean).length, n);
    return Buffer.byteLength(text);
  };

  it('1,000 and 100,000 inputs render to the same size but for the digits of the expected count', () => {
    const small = size(1000);
    const large = size(100_000);
    // Only the count fetch checks the list against differs ("1000" → "100000", twice in its script).
    assert.ok(large - small <= 8, `${large} bytes vs ${small}`);
    assert.ok(large < 96 * 1024, `${large} bytes`);
  });
});

describe('parallel visualization config errors', () => {
  const refuses = (recipe: Recipe, message: RegExp) => assert.throws(() => translateRecipe(recipe, options), message);

  it('names the config.json key of a bad zoom range or switch', () => {
    refuses(parallel({ config: { z_range: [5, 2] } }), /config\.json: z_range: expected \[min, max\] .*got \[5,2\]/);
    refuses(parallel({ config: { z_range: [0, 40] } }), /config\.json: z_range/);
    refuses(parallel({ config: { z_range: 'all' } }), /config\.json: z_range/);
    refuses(parallel({ config: { enable_raster: 'yes' } }), /config\.json: enable_raster: expected true or false, got "yes"/);
  });

  it('refuses the stager off without pvc_mount inputs: the output folder starts empty', () => {
    refuses(parallel({ config: { enable_stager: false } }), /config\.json: enable_stager: .*only when pvc_mount inputs hold/);
  });

  it('refuses a partition size below 1', () => {
    refuses(parallel({ partitionSize: 0 }), /workflow\.parallel\.partition_size: must be a positive whole number/);
  });
});

describe('the visualization recipes of the shared corpus, parallel', () => {
  const load = async (dir: string, edit: (meta: string) => string) => {
    const copy = await mkdtemp(path.join(os.tmpdir(), 'ogdc-viz-corpus-'));
    try {
      await cp(path.join(recipeCorpusDir(), dir), copy, { recursive: true });
      await writeFile(path.join(copy, 'meta.yml'), edit(await readFile(path.join(copy, 'meta.yml'), 'utf8')));
      return await loadRecipe(copy, { dataoneNodeUrl: 'http://127.0.0.1:9' });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  };

  it('upstream’s test viz recipe with parallel on: every stage, parent levels 11 to 0 of the default zoom range, at the default cap', async () => {
    const recipe = await load('upstream-tests/test_viz_workflow_recipe_dir', (m) =>
      m.replace('config_file: "config.json"', 'config_file: "config.json"\n  parallel: {enabled: true}'),
    );
    const r = render(recipe);
    assert.deepEqual(r.names.slice(0, 7), [
      'setup-config',
      'fetch',
      'write-stage-partition-manifests',
      'stage-files',
      'discover-staged-tiles',
      'rasterize-max-z',
      'create-3dtiles',
    ]);
    assert.deepEqual(
      r.names.filter((n) => n.startsWith('create-composites')),
      Array.from({ length: 12 }, (_, i) => `create-composites-z-${11 - i}`),
    );
    assert.deepEqual(r.names.slice(-2), ['discover-all-geotiffs', 'create-web-tiles']);
    assert.equal(r.spec.parallelism, options.maxParallelLimit);
    assert.match(r.template('write-stage-partition-manifests').container!.args![0]!, /-v size=1000 /);
  });

  it('ogdc-recipes viz-workflow (output set to pvc): zoom levels 0–5, its folders created under the output folder', async () => {
    const recipe = await load('ogdc-recipes/viz-workflow', (m) => m.replace(/output:\n  dataone_id: "TODO"/, 'output: {type: pvc}'));
    const r = render(recipe);
    assert.deepEqual(
      r.names.filter((n) => n.startsWith('create-composites')),
      [4, 3, 2, 1, 0].map((z) => `create-composites-z-${z}`),
    );
    assert.ok(r.names.includes('create-3dtiles') && r.names.includes('create-web-tiles'));
    assert.match(
      r.template('stage-viz-config').container!.args![0]!,
      /mkdir -p "\$DIR\/input" "\$DIR\/output\/3dtiles" "\$DIR\/output\/raster\/geotiff" "\$DIR\/output\/raster\/web-tiles" "\$DIR\/output\/staged"\n/,
    );
    assert.match(r.template('write-stage-partition-manifests').container!.args![0]!, /-v size=10 /);
  });
});
