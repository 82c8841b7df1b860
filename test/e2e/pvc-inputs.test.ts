import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { writeRecipeDir } from '../helpers/recipe-dir.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';

const meta = (name: string, params: string) => `name: "${name}"
workflow: {type: shell}
input:
  params:
${params}
output: {type: pvc}
`;

/** pvc_mount inputs on the local engine: a claim is <data dir>/volumes/<claim>, mounted read-only at /mnt/data/<claim>. */
describe('pvc_mount inputs on the local engine', () => {
  let svc: TestService;
  let token: string;
  let claimDir: string;
  const auth = () => ({ authorization: `Bearer ${token}` });
  const submit = async (files: Record<string, string>) => {
    const { dir, cleanup } = await writeRecipeDir(files);
    try {
      return await svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: { ...auth(), 'content-type': 'application/gzip' },
        payload: await packRecipe(dir),
      });
    } finally {
      await cleanup();
    }
  };
  const finish = async (name: string) => {
    for (let i = 0; i < 600; i++) {
      const run = (await svc.app.inject({ url: `/runs/${name}`, headers: auth() })).json();
      if (['Succeeded', 'Failed', 'Error'].includes(run.status)) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} did not finish`);
  };

  before(async () => {
    svc = await startTestService(dbTargets()[0]!, { OGDC_ALLOWED_INPUT_PVCS: '["survey-data"]' }, { createEngine });
    token = await svc.userToken('pia');
    // Pre-staged data on the claim, sub-folders included.
    claimDir = path.join(svc.dataDir, 'volumes', 'survey-data');
    for (const [file, text] of Object.entries({
      'tiles/2020/a.tif': 'A',
      'tiles/2020/b.tif': 'B',
      'tiles/2021/c.tif': 'C',
      'tiles/notes.txt': 'N',
      'other/d.tif': 'D',
    })) {
      await mkdir(path.dirname(path.join(claimDir, file)), { recursive: true });
      await writeFile(path.join(claimDir, file), text);
    }
  });
  after(() => svc.stop());

  it('links the matching files (recursive glob, sub-folders kept) into /input_dir, read-only, and publishes what the steps wrote', async () => {
    const res = await submit({
      'meta.yml': meta('Survey tiles', '    - {type: pvc_mount, claim_name: survey-data, path: /tiles/, glob: "*.tif"}'),
      'recipe.sh': [
        'cd /input_dir && find . -type f -o -type l | LC_ALL=C sort > /output_dir/listing.txt && cat 2020/a.tif 2021/c.tif > /output_dir/joined.txt',
        'if touch /mnt/data/survey-data/tiles/x 2>/dev/null; then echo writable; else echo read-only; fi > /output_dir/ro.txt && cp /input_dir/* /output_dir/',
      ].join('\n'),
    });
    assert.equal(res.statusCode, 200, res.body);
    const name = res.json().recipe_workflow_name;
    const run = await finish(name);
    const logs = (await svc.app.inject({ url: `/runs/${name}/logs`, headers: auth() })).body;
    assert.equal(run.status, 'Succeeded', logs);
    const published = path.join(svc.dataDir, 'volumes', svc.config.workflowPvcName, 'survey-tiles');
    assert.equal(await readFile(path.join(published, 'listing.txt'), 'utf8'), './2020/a.tif\n./2020/b.tif\n./2021/c.tif\n');
    assert.equal(await readFile(path.join(published, 'joined.txt'), 'utf8'), 'AC');
    assert.equal(await readFile(path.join(published, 'ro.txt'), 'utf8'), 'read-only\n');
    assert.deepEqual((await readdir(path.join(claimDir, 'tiles'))).sort(), ['2020', '2021', 'notes.txt']);
  });

  it('fans a parallel recipe out over partitions listed at run time, with the partition manifests on the volume', async () => {
    const res = await submit({
      'meta.yml': `name: "Survey parallel"
workflow:
  type: shell
  parallel: {enabled: true, partition_size: 2}
input:
  params:
    - {type: pvc_mount, claim_name: survey-data, path: tiles, glob: "*.tif"}
output: {type: pvc}
`,
      'recipe.sh': 'cat "$INPUT_FILE" > "$OUTPUT_FILE.copy"\n',
    });
    assert.equal(res.statusCode, 200, res.body);
    const name = res.json().recipe_workflow_name;
    const run = await finish(name);
    const logs = (await svc.app.inject({ url: `/runs/${name}/logs`, headers: auth() })).body;
    assert.equal(run.status, 'Succeeded', logs);
    // Three files, two per partition: two pods of the recipe line.
    const lines = run.nodes.filter((n: { display_name: string; type: string }) => n.type === 'Pod' && n.display_name.startsWith('step-0'));
    assert.equal(lines.length, 2, JSON.stringify(run.nodes.map((n: { display_name: string }) => n.display_name)));
    const volume = path.join(svc.dataDir, 'volumes', svc.config.workflowPvcName);
    const parts = path.join(volume, '_ogdc-runs', name, 'partitions');
    assert.deepEqual((await readdir(parts)).sort(), ['partition-0.txt', 'partition-1.txt']);
    assert.equal(await readFile(path.join(parts, 'partition-0.txt'), 'utf8'), '2020/a.tif\n2020/b.tif\n');
    assert.equal(await readFile(path.join(parts, 'partition-1.txt'), 'utf8'), '2021/c.tif\n');
    const published = path.join(volume, 'survey-parallel');
    const copies = (await readdir(published, { recursive: true }))
      .filter((f) => String(f).endsWith('.copy'))
      .map((f) => path.basename(String(f)));
    assert.deepEqual(copies.sort(), ['a.tif.copy', 'b.tif.copy', 'c.tif.copy']);
  });

  it('answers 422 naming the field and meta.yml for a bad claim, path or glob, a claim not allowed or missing, and mixed inputs', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{type: pvc_mount, claim_name: Survey_Data, path: x}', /meta\.yml: input\.params\[0\]\.claim_name .*valid Kubernetes DNS label/],
      [`{type: pvc_mount, claim_name: ${'a'.repeat(64)}, path: x}`, /input\.params\[0\]\.claim_name .*too long \(64 > 63\)/],
      ['{type: pvc_mount, claim_name: survey-data, path: tiles/../../etc}', /input\.params\[0\]\.path .*parent directory references/],
      [
        '{type: pvc_mount, claim_name: survey-data, path: tiles, glob: /etc/*}',
        /input\.params\[0\]\.glob .*relative to the PVC input path/,
      ],
      ['{type: pvc_mount, claim_name: survey-data, path: tiles, glob: "../*"}', /input\.params\[0\]\.glob .*parent directory references/],
      ['{type: pvc_mount, claim_name: someone-elses, path: tiles}', /input\.params\[0\]\.claim_name .*not one recipes may read/],
      [
        '{type: pvc_mount, claim_name: survey-data, path: missing}',
        /input\.params\[0\]\.path .*"missing" is not a folder in claim "survey-data"/,
      ],
      ['{type: pvc_mount, claim_name: survey-data}', /input\.params\[0\]\.path .*required/],
    ];
    for (const [param, message] of cases) {
      const res = await submit({ 'meta.yml': meta('Bad input', `    - ${param}`), 'recipe.sh': 'true\n' });
      assert.equal(res.statusCode, 422, `${param}: ${res.body}`);
      assert.match(res.json().detail, message, param);
    }
    const mixed = await submit({
      'meta.yml': meta(
        'Mixed',
        '    - {type: pvc_mount, claim_name: survey-data, path: tiles}\n    - {type: url, value: "https://example.org/a.tif"}',
      ),
      'recipe.sh': 'true\n',
    });
    assert.equal(mixed.statusCode, 422);
    assert.match(mixed.json().detail, /meta\.yml: input\.params.*pvc_mount inputs cannot be combined with URL or DataONE inputs/);
  });
});
