import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PvcMountInputParam } from '../../src/recipe/types.ts';
import { buildListPvcFilesTemplate } from '../../src/translate/builders/viz-partitions.ts';
import { options } from './fixtures.ts';
import { runContainerTemplate } from './run-template.ts';

// The partition manifest writer of the parallel visualization, run for real (sh, find, sort, awk on this host)
// with the claim, the volume and /tmp mapped to temporary folders.

let root: string;
before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ogdc-viz-scripts-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function claimWith(name: string, files: string[]): string {
  const claim = path.join(root, name);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(claim, f)), { recursive: true });
    writeFileSync(path.join(claim, f), f);
  }
  return claim;
}

async function list(name: string, inputs: PvcMountInputParam[], size: number) {
  const claim = path.join(root, name);
  const volume = path.join(root, `${name}-volume`);
  const scratch = path.join(root, `${name}-tmp`);
  mkdirSync(scratch, { recursive: true });
  const result = await runContainerTemplate(buildListPvcFilesTemplate(inputs, size, options), {
    workflowName: 'viz-run-abcde',
    paths: { '/mnt/data/survey-data': claim, '/mnt/workflow': volume, '/tmp/': `${scratch}/` },
  });
  const parts = path.join(volume, '_ogdc-runs', 'viz-run-abcde', 'partitions', 'pvc-inputs');
  const read = (file: string) => JSON.parse(readFileSync(path.join(parts, file), 'utf8')) as unknown;
  const refs = () => JSON.parse(readFileSync(path.join(scratch, 'ogdc', 'partitions.json'), 'utf8')) as unknown;
  return { result, claim, parts, read, refs };
}

describe('list-pvc-files, run on this host', () => {
  it('writes valid JSON manifests for any file name: quotes, backslashes, tabs, control characters, non-ASCII', async () => {
    const names = [
      'it\'s "quoted".gpkg',
      'back\\slash.gpkg',
      'tab\there.gpkg',
      'bell\u0007.gpkg',
      'ünï cødé $HOME.gpkg',
      'deep/er/x.gpkg',
      'skip.txt',
    ];
    const claim = claimWith(
      'odd',
      names.map((n) => `tiles/${n}`),
    );
    const { result, read, refs, parts } = await list(
      'odd',
      [{ type: 'pvc_mount', claim_name: 'survey-data', path: 'tiles', glob: '*.gpkg' }],
      4,
    );
    assert.equal(result.code, 0, result.stderr);
    const expected = names
      .filter((n) => n.endsWith('.gpkg'))
      .map((n) => `${claim}/tiles/${n}`)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(read('all-files.json'), expected);
    assert.deepEqual([...(read('partition-0.json') as string[]), ...(read('partition-1.json') as string[])], expected);
    assert.equal((read('partition-1.json') as string[]).length, 2);
    assert.deepEqual(refs(), [{ partition_id: 0 }, { partition_id: 1 }]);
    assert.deepEqual(readdirSync(parts).sort(), ['all-files.json', 'partition-0.json', 'partition-1.json']);
    assert.match(result.stdout, /list: 6 files in .*, at most 4 per partition/);
  });

  it('matches a glob with "/" against the end of the path, and merges several inputs without duplicates', async () => {
    const claim = claimWith('globs', ['a/2020/x.tif', 'a/2021/y.tif', 'a/x.tif', 'b/z.tif']);
    const { result, read } = await list(
      'globs',
      [
        { type: 'pvc_mount', claim_name: 'survey-data', path: '/a/', glob: '2020/*.tif' },
        { type: 'pvc_mount', claim_name: 'survey-data', path: 'a', glob: '**/x.tif' },
        { type: 'pvc_mount', claim_name: 'survey-data', path: '', glob: 'z.tif' },
      ],
      1000,
    );
    assert.equal(result.code, 0, result.stderr);
    // As Python's rglob: `**/x.tif` also matches x.tif directly in the folder; a/2020/x.tif is matched twice, listed once.
    assert.deepEqual(read('partition-0.json'), [`${claim}/a/2020/x.tif`, `${claim}/a/x.tif`, `${claim}/b/z.tif`]);
  });

  it('fails naming the reason: no matching file, a missing folder, a file name with a line break', async () => {
    claimWith('none', ['tiles/a.txt']);
    const none = await list('none', [{ type: 'pvc_mount', claim_name: 'survey-data', path: 'tiles', glob: '*.tif' }], 10);
    assert.notEqual(none.result.code, 0);
    assert.match(none.result.stderr, /list: no input files match/);
    const missing = await list('none', [{ type: 'pvc_mount', claim_name: 'survey-data', path: 'nowhere', glob: '*' }], 10);
    assert.match(missing.result.stderr, /list: input folder .*\/nowhere is not a directory/);
    claimWith('newline', ['tiles/two\nlines.tif']);
    const newline = await list('newline', [{ type: 'pvc_mount', claim_name: 'survey-data', path: 'tiles', glob: '*' }], 10);
    assert.notEqual(newline.result.code, 0);
    assert.match(newline.result.stderr, /contains a line break, which a partition manifest cannot carry/);
  });
});
