import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Recipe } from '../../src/recipe/types.ts';
import type { Template } from '../../src/argo/types.ts';
import { translateRecipe, type TranslateOptions } from '../../src/translate/index.ts';
import { options as deployment, shellRecipe, urlInputs } from './fixtures.ts';
import { runContainerTemplate } from './run-template.ts';

// These tests run the generated shell scripts for real (sh, wget, zip on this host) against
// files served on 127.0.0.1, with the volume and artifact paths mapped to a temporary folder.

// The inputs are served on loopback, which only OGDC_ALLOW_PRIVATE_SOURCES=true lets fetch reach.
const options: TranslateOptions = { ...deployment, allowPrivateSources: true };

let server: Server;
let baseUrl: string;
let root: string;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ogdc-translate-'));
  server = createServer((req, res) => {
    const match = /^\/files\/(file-\d+\.gpkg)$/.exec(req.url ?? '');
    if (!match) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(`content of ${match[1]}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

function templatesOf(recipe: Recipe, opts: TranslateOptions = options) {
  const result = translateRecipe(recipe, opts);
  const templates = new Map((result.workflow.spec as { templates: Template[] }).templates.map((t) => [t.name, t]));
  return { templates, uploads: result.uploads, get: (name: string) => templates.get(name)! };
}

/** Runs a parallel workflow's pods in order: fetch, every partition of every line, publish. */
async function runParallel(recipe: Recipe, partitions: number, workflowName: string, volume: string, opts: TranslateOptions = options) {
  const { get, uploads } = templatesOf(recipe, opts);
  const scratch = path.join(root, workflowName);
  mkdirSync(path.join(scratch, 'ogdc'), { recursive: true });
  writeFileSync(path.join(scratch, 'ogdc', 'inputs.tsv'), uploads[0]!.body);
  const paths = { '/mnt/workflow': volume, '/tmp/': `${scratch}/` };
  const fetch = await runContainerTemplate(get('fetch'), { workflowName, paths });
  assert.equal(fetch.code, 0, fetch.stderr);
  for (let step = 0; step < recipe.steps.length; step++) {
    for (let p = 0; p < partitions; p++) {
      const run = await runContainerTemplate(get(`run-step-${step}`), { workflowName, parameters: { partition: String(p) }, paths });
      assert.equal(run.code, 0, run.stderr);
    }
  }
  return runContainerTemplate(get('publish'), { workflowName, paths });
}

describe('generated scripts, run on this host', () => {
  it('parallel: fetch, per-file steps with INPUT_/OUTPUT_ variables, and pvc publish of all partitions', async () => {
    const volume = path.join(root, 'volume-1');
    const recipe = shellRecipe({
      id: 'par-test',
      parallel: true,
      partitionSize: 2,
      inputs: urlInputs(5, baseUrl),
      steps: [
        '{ cat "$INPUT_FILE"; printf "%s\\n" "$INPUT_DIR" "$OUTPUT_DIR"; } > "$OUTPUT_FILE"',
        'tr a-z A-Z < "$INPUT_FILE" > "$OUTPUT_FILE.up"',
      ],
    });
    const publish = await runParallel(recipe, 3, 'par-test-abcde', volume);
    assert.equal(publish.code, 0, publish.stderr);
    const published = path.join(volume, 'par-test');
    assert.deepEqual(
      readdirSync(published).sort(),
      [0, 1, 2, 3, 4].map((i) => `file-${i}.gpkg.up`),
    );
    const lines = readFileSync(path.join(published, 'file-3.gpkg.up'), 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'CONTENT OF FILE-3.GPKG');
    assert.ok(lines[1]!.endsWith('/_OGDC-RUNS/PAR-TEST-ABCDE/INPUTS'), lines[1]);
    assert.ok(lines[2]!.endsWith('/_OGDC-RUNS/PAR-TEST-ABCDE/STEP-0/PARTITION-1'), `file-3 is in partition 1: ${lines[2]}`);
    // The run folder is emptied, all but its partition manifests, kept for inspection.
    assert.deepEqual(readdirSync(path.join(volume, '_ogdc-runs', 'par-test-abcde')), ['partitions']);
    assert.deepEqual(readdirSync(path.join(volume, '_ogdc-runs', 'par-test-abcde', 'partitions')).sort(), [
      'partition-0.txt',
      'partition-1.txt',
      'partition-2.txt',
    ]);
    assert.equal(
      readFileSync(path.join(volume, '_ogdc-runs', 'par-test-abcde', 'partitions', 'partition-1.txt'), 'utf8'),
      'file-2.gpkg\nfile-3.gpkg\n',
    );

    // A second run must not overwrite the published output…
    const again = await runParallel(recipe, 3, 'par-test-fghij', volume);
    assert.notEqual(again.code, 0);
    assert.match(
      again.stderr,
      /publish: recipe par-test already has a published output at .*\/par-test; submit with overwrite to replace it/,
    );
    assert.equal(readdirSync(published).length, 5);
    // …unless submitted with overwrite.
    const changed = { ...recipe, steps: ['cp "$INPUT_FILE" "$OUTPUT_FILE.copy"'] };
    const overwrite = await runParallel(changed, 3, 'par-test-klmno', volume, { ...options, overwrite: true });
    assert.equal(overwrite.code, 0, overwrite.stderr);
    assert.deepEqual(
      readdirSync(published).sort(),
      [0, 1, 2, 3, 4].map((i) => `file-${i}.gpkg.copy`),
    );
  });

  it('parallel: a line failing on one file fails the pod with the file and exit code', async () => {
    const volume = path.join(root, 'volume-2');
    const recipe = shellRecipe({
      parallel: true,
      partitionSize: 2,
      inputs: urlInputs(2, baseUrl),
      steps: ['case "$INPUT_FILE" in *file-1*) exit 3;; esac; cp "$INPUT_FILE" "$OUTPUT_FILE"'],
    });
    const { get, uploads } = templatesOf(recipe);
    const scratch = path.join(root, 'fail-run');
    mkdirSync(path.join(scratch, 'ogdc'), { recursive: true });
    writeFileSync(path.join(scratch, 'ogdc', 'inputs.tsv'), uploads[0]!.body);
    const paths = { '/mnt/workflow': volume, '/tmp/': `${scratch}/` };
    assert.equal((await runContainerTemplate(get('fetch'), { workflowName: 'fail-run', paths })).code, 0);
    const run = await runContainerTemplate(get('run-step-0'), { workflowName: 'fail-run', parameters: { partition: '0' }, paths });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /step 0 failed on .*\/inputs\/file-1\.gpkg \(exit 3\)/);
  });

  it('fetch fails with the URL it could not download', async () => {
    const recipe = shellRecipe({ inputs: [{ url: `${baseUrl}/missing.tif`, filename: 'missing.tif' }] });
    const out = path.join(root, 'fetch-missing');
    const run = await runContainerTemplate(templatesOf(recipe).get('fetch'), { workflowName: 'w', paths: { '/output_dir': out } });
    assert.notEqual(run.code, 0);
    assert.ok(run.stderr.includes(`fetch: could not download ${baseUrl}/missing.tif`), run.stderr);
  });

  it('sequential temporary: directories flow step to step and publish zips them as <id>.zip', async () => {
    const dir = path.join(root, 'sequential');
    const recipe = shellRecipe({
      id: 'seq-test',
      output: 'temporary',
      inputs: urlInputs(2, baseUrl),
      steps: [
        'cat /input_dir/file-0.gpkg /input_dir/file-1.gpkg > /output_dir/both.txt',
        `mkdir /output_dir/sub && sed 's/content/CONTENT/' /input_dir/both.txt > "/output_dir/sub/it's.txt"`,
      ],
    });
    const { get } = templatesOf(recipe);
    const stage = (name: string) => path.join(dir, name);
    const run = (template: string, input: string | undefined, output: string) =>
      runContainerTemplate(get(template), {
        workflowName: 'seq-test-xyz',
        paths: { '/output_dir': stage(output), ...(input ? { '/input_dir': stage(input) } : {}), '/tmp/': `${stage('tmp')}/` },
      });
    for (const [template, input, output] of [
      ['fetch', undefined, 'a'],
      ['run-step-0', 'a', 'b'],
      ['run-step-1', 'b', 'c'],
    ] as const) {
      const result = await run(template, input, output);
      assert.equal(result.code, 0, `${template}: ${result.stderr}`);
    }
    mkdirSync(stage('tmp'));
    const publish = await run('publish', 'c', 'unused');
    assert.equal(publish.code, 0, publish.stderr);
    const zip = path.join(stage('tmp'), 'seq-test.zip');
    const listing = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(listing, ['sub/', "sub/it's.txt"]);
    assert.equal(
      execFileSync('unzip', ['-p', zip, "sub/it's.txt"], { encoding: 'utf8' }),
      'CONTENT of file-0.gpkg\nCONTENT of file-1.gpkg\n',
    );
  });

  it('publish refuses an empty output rather than publishing nothing', async () => {
    const recipe = shellRecipe({ id: 'empty-test' });
    const input = path.join(root, 'empty-in');
    mkdirSync(input);
    const run = await runContainerTemplate(templatesOf(recipe).get('publish'), {
      workflowName: 'w',
      paths: { '/input_dir': input, '/mnt/workflow': path.join(root, 'volume-3') },
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /publish: nothing to publish: the last step wrote no files/);
    assert.equal(existsSync(path.join(root, 'volume-3', 'empty-test')), false);
  });
});
