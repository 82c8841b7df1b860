import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import type { Workflow } from '../../src/engine/types.ts';
import { loadRecipe } from '../../src/recipe/load.ts';
import { translateRecipe } from '../../src/translate/index.ts';
import { options as deployment } from '../translate/fixtures.ts';
import { createLocalEngine } from '../../src/engine/local/index.ts';
import { dbTargets } from '../helpers/db.ts';
import { writeRecipeDir } from '../helpers/recipe-dir.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';
import { withVizStandIns, writeVizStandIns } from './viz-stand-ins.ts';

// Parallel visualization manifests run on the local engine, every pdgworkflow stage through the stand-ins
// (viz-stand-ins.ts): the real generated Python, the real DAG and fan-outs, the real manifests on the volume.

const STAND_INS = 'viz-stand-ins';
const options = { ...deployment, pvcName: 'workflow-pvc', allowPrivateSources: true };

let server: Server;
let baseUrl: string;
before(async () => {
  // Input files list tiles at the deepest zoom level, one "x y" per line.
  const files: Record<string, string> = { 'a.txt': '0 0\n1 1\n', 'b.txt': '1 1\n' };
  server = createServer((req, res) => {
    const body = files[(req.url ?? '').replace(/^\/files\//, '')];
    if (body === undefined) return void res.writeHead(404).end('not found');
    res.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
});
after(() => new Promise((resolve) => server.close(resolve)));

async function translate(files: Record<string, string>, claimFolder: (claim: string) => string) {
  const { dir, cleanup } = await writeRecipeDir(files);
  try {
    const recipe = await loadRecipe(dir, { dataoneNodeUrl: 'http://127.0.0.1:9', claimFolder });
    return translateRecipe(recipe, options);
  } finally {
    await cleanup();
  }
}

async function runOnLocalEngine(t: TestContext, files: Record<string, string>, claim?: Record<string, string>) {
  const db = await dbTargets()[0]!.open();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-viz-'));
  // fetch reaches the test server on loopback only with the host's network.
  const engine = await createLocalEngine({ db, dataDir, sandbox: 'auto', maxProcesses: 4, fetchHostNetwork: true, log: () => {} });
  t.after(async () => {
    await engine.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const volumes = path.join(dataDir, 'volumes');
  await writeVizStandIns(volumes, STAND_INS);
  for (const [file, text] of Object.entries(claim ?? {})) {
    await mkdir(path.dirname(path.join(volumes, 'survey-data', file)), { recursive: true });
    await writeFile(path.join(volumes, 'survey-data', file), text);
  }
  const { workflow, uploads } = await translate(files, (c) => path.join(volumes, c));
  assert.deepEqual(validateWorkflowManifest(workflow), { valid: true });
  for (const u of uploads) await engine.putArtifact(u.key, u.body);
  // As the service submits it: the labelled workflow reads its own upload prefix.
  const submitted = await engine.submit(withVizStandIns(workflow, STAND_INS), { artifactReadPrefixes: [options.uploadPrefix] });
  const done = await engine.wait(submitted.metadata.name!);
  const logs: string[] = [];
  if (done.status?.phase !== 'Succeeded') for await (const l of engine.logs(done.metadata.name!)) logs.push(l.content);
  assert.equal(done.status?.phase, 'Succeeded', `${done.status?.message}\n${logs.join('\n')}`);
  const volume = path.join(volumes, options.pvcName);
  return { done, volume, runArea: path.join(volume, '_ogdc-runs', done.metadata.name!) };
}

const list = async (dir: string) =>
  (await readdir(dir, { recursive: true }))
    .map(String)
    .filter((f) => f.includes('.'))
    .sort();
const pods = (wf: Workflow, template: string) =>
  Object.values(wf.status?.nodes ?? {}).filter((n) => n.type === 'Pod' && n.templateName === template).length;
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as unknown;

const meta = (name: string, params: string, partitionSize: number) => `name: "${name}"
workflow:
  type: visualization
  config_file: config.json
  parallel: {enabled: true, partition_size: ${partitionSize}}
input:
  params:
${params}
output: {type: pvc}
`;

describe('parallel visualization on the local engine', () => {
  it('runs the whole pipeline over pvc_mount inputs: stage, rasterize, composite every parent level, web tiles, 3D tiles', async (t) => {
    const { done, volume, runArea } = await runOnLocalEngine(
      t,
      {
        'meta.yml': meta('Survey viz', '    - {type: pvc_mount, claim_name: survey-data, path: tiles, glob: "*.txt"}', 2),
        'config.json': JSON.stringify({ z_range: [0, 2] }),
      },
      { 'tiles/a.txt': '0 0\n1 1\n', 'tiles/more/b.txt': '3 3\n2 3\n', 'tiles/notes.md': 'not an input' },
    );
    const out = path.join(volume, 'survey-viz');
    const staged = ['staged/2/0/0.gpkg', 'staged/2/1/1.gpkg', 'staged/2/2/3.gpkg', 'staged/2/3/3.gpkg'];
    const geotiffs = [
      'geotiff/0/0/0.tif',
      'geotiff/1/0/0.tif',
      'geotiff/1/1/1.tif',
      ...staged.map((s) => s.replace('staged', 'geotiff').replace('.gpkg', '.tif')),
    ];
    assert.deepEqual(
      await list(out),
      [
        'config.json',
        ...geotiffs,
        ...staged.map((s) => s.replace('staged', 'output/3dtiles').replace('.gpkg', '.b3dm')),
        ...staged,
        ...geotiffs.map((g) => g.replace('geotiff', 'web_tiles').replace('.tif', '.png')),
      ].sort(),
    );
    // Staging read the claim in place; each parent level was built from the level below it.
    assert.equal(await readFile(path.join(out, 'staged/2/3/3.gpkg'), 'utf8'), '/mnt/data/survey-data/tiles/more/b.txt\n');
    assert.equal(await readFile(path.join(out, 'geotiff/1/1/1.tif'), 'utf8'), 'geotiff/2/2/3.tif\ngeotiff/2/3/3.tif\n');
    assert.equal(await readFile(path.join(out, 'geotiff/0/0/0.tif'), 'utf8'), 'geotiff/1/0/0.tif\ngeotiff/1/1/1.tif\n');
    // Every stage's manifests stay in the run's area.
    const parts = path.join(runArea, 'partitions');
    assert.deepEqual(await json(path.join(parts, 'pvc-inputs', 'all-files.json')), [
      '/mnt/data/survey-data/tiles/a.txt',
      '/mnt/data/survey-data/tiles/more/b.txt',
    ]);
    assert.deepEqual(await json(path.join(parts, 'staged-tiles', 'partition-1.json')), ['staged/2/2/3.gpkg', 'staged/2/3/3.gpkg']);
    assert.deepEqual(await json(path.join(parts, 'parent-tiles-z-0', 'partition-0.json')), [{ z: 0, path: 'geotiff/0/0/0.tif' }]);
    assert.equal(((await json(path.join(parts, 'geotiffs', 'partition-3.json'))) as unknown[]).length, 1);
    // Fan-outs of partition_size 2: 2 files, 4 staged tiles, 2 then 1 parents, 7 GeoTIFFs.
    assert.deepEqual(
      ['stage-files', 'rasterize-max-z', 'create-3dtiles', 'create-composite-z', 'create-web-tiles'].map((x) => pods(done, x)),
      [1, 2, 2, 2, 4],
    );
  });

  it('downloads URL inputs, writes the stage manifests, and leaves out what config.json switches off', async (t) => {
    const { done, volume, runArea } = await runOnLocalEngine(t, {
      'meta.yml': meta('Url viz', `    - {type: url, value: "${baseUrl}/a.txt"}\n    - {type: url, value: "${baseUrl}/b.txt"}`, 1),
      'config.json': JSON.stringify({ z_range: [1, 1], enable_raster_parents: false, enable_web_tiles: false, enable_3dtiles: false }),
    });
    const out = path.join(volume, 'url-viz');
    assert.deepEqual(await list(out), [
      'config.json',
      'geotiff/1/0/0.tif',
      'geotiff/1/1/1.tif',
      'input/a.txt',
      'input/b.txt',
      'staged/1/0/0.gpkg',
      'staged/1/1/1.gpkg',
    ]);
    // Both partitions staged into the same tile, in whichever order their pods ran.
    const sources = (await readFile(path.join(out, 'staged/1/1/1.gpkg'), 'utf8')).trimEnd().split('\n').sort();
    assert.deepEqual(sources, ['/mnt/workflow/url-viz/input/a.txt', '/mnt/workflow/url-viz/input/b.txt']);
    assert.deepEqual(await json(path.join(runArea, 'partitions', 'stage-files', 'partition-1.json')), [
      '/mnt/workflow/url-viz/input/b.txt',
    ]);
    assert.equal(pods(done, 'stage-files'), 2);
    assert.deepEqual(
      ['create-3dtiles', 'discover-parent-tiles', 'create-web-tiles'].map((x) => pods(done, x)),
      [0, 0, 0],
    );
  });
});

describe('serial visualization on the local engine', () => {
  it('links pvc_mount inputs into input/ (sub-folders kept) and batches and tiles them through the links', async (t) => {
    const { done, volume } = await runOnLocalEngine(
      t,
      {
        'meta.yml': `name: "Serial claim viz"
workflow: {type: visualization, config_file: config.json, batch_size: 1}
input:
  params:
    - {type: pvc_mount, claim_name: survey-data, path: tiles, glob: "*.txt"}
output: {type: pvc}
`,
        'config.json': JSON.stringify({ z_range: [0, 3] }),
      },
      { 'tiles/a.txt': '0 0\n1 1\n', 'tiles/more/b.txt': '5 5\n', 'tiles/notes.md': 'not an input' },
    );
    const out = path.join(volume, 'serial-claim-viz');
    assert.deepEqual(await list(out), [
      'batch/chunk-0.gpkg',
      'batch/chunk-1.gpkg',
      'batch/chunk-2.gpkg',
      'config.json',
      'input/a.txt',
      'input/more/b.txt',
      'staged/3/0/0.gpkg',
      'staged/3/1/1.gpkg',
      'staged/3/5/5.gpkg',
    ]);
    assert.equal(await readlink(path.join(out, 'input/more/b.txt')), '/mnt/data/survey-data/tiles/more/b.txt');
    assert.equal(pods(done, 'tile'), 3);
  });
});

describe('visualization recipes with pvc_mount inputs through /submit', () => {
  let svc: TestService;
  let token: string;
  const submit = async (files: Record<string, string>) => {
    const { dir, cleanup } = await writeRecipeDir(files);
    try {
      return await svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        payload: await packRecipe(dir),
      });
    } finally {
      await cleanup();
    }
  };
  const vizMeta = (name: string, param: string, parallel: boolean) => `name: "${name}"
workflow: {type: visualization, config_file: config.json, parallel: {enabled: ${parallel}}}
input:
  params:
    - ${param}
output: {type: pvc}
`;

  before(async () => {
    svc = await startTestService(dbTargets()[0]!, { OGDC_ALLOWED_INPUT_PVCS: '["survey-data"]' }, { createEngine });
    token = await svc.userToken('vera');
    await mkdir(path.join(svc.dataDir, 'volumes', 'survey-data', 'tiles'), { recursive: true });
  });
  after(() => svc.stop());

  it('accepts them, serial and parallel, where they were refused before', async () => {
    for (const parallel of [false, true]) {
      const res = await submit({
        'meta.yml': vizMeta(`Claim viz ${parallel}`, '{type: pvc_mount, claim_name: survey-data, path: tiles, glob: "*.gpkg"}', parallel),
        'config.json': '{}',
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.json().recipe_workflow_name, /^claim-viz-(true|false)-visualization-/);
    }
  });

  it('answers 422 naming the field and file for a bad claim, a claim not allowed, a missing path, a bad config', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        '{type: pvc_mount, claim_name: Survey_Data, path: tiles}',
        '{}',
        /meta\.yml: input\.params\[0\]\.claim_name .*valid Kubernetes DNS label/,
      ],
      ['{type: pvc_mount, claim_name: other-claim, path: tiles}', '{}', /input\.params\[0\]\.claim_name .*not one recipes may read/],
      [
        '{type: pvc_mount, claim_name: survey-data, path: missing}',
        '{}',
        /input\.params\[0\]\.path .*"missing" is not a folder in claim "survey-data"/,
      ],
      [
        '{type: pvc_mount, claim_name: survey-data, path: tiles, glob: "../*"}',
        '{}',
        /input\.params\[0\]\.glob .*parent directory references/,
      ],
      ['{type: pvc_mount, claim_name: survey-data, path: tiles}', '{"z_range": [3, 1]}', /config\.json: z_range: expected \[min, max\]/],
      ['{type: url, value: "https://example.org/a.gpkg"}', '{"enable_stager": false}', /config\.json: enable_stager: .*pvc_mount inputs/],
    ];
    for (const [param, config, message] of cases) {
      const res = await submit({ 'meta.yml': vizMeta('Bad viz', param, true), 'config.json': config });
      assert.equal(res.statusCode, 422, `${param}: ${res.body}`);
      assert.match(res.json().detail, message, param);
    }
  });
});
