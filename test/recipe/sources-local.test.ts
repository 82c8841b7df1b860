import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RecipeSourceError } from '../../src/recipe/errors.ts';
import { loadRecipe } from '../../src/recipe/load.ts';
import { type StageOptions, parseRecipeSource, stageRecipe } from '../../src/recipe/sources.ts';
import { recipeCorpusDir } from '../helpers/recipe-corpus.ts';
import { writeRecipeDir } from '../helpers/recipe-dir.ts';
import { type TarEntry, buildTarGz } from '../helpers/tar-builder.ts';

const OPTIONS: StageOptions = { allowLocalPaths: true, allowPrivateHosts: true };
const META = 'name: "Archived"\nworkflow: {type: shell}\ninput:\n  params:\n    - {type: url, value: "https://example.org/a.tif"}\n';
const cleanups: Array<() => Promise<void>> = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function refused(promise: Promise<unknown>): Promise<RecipeSourceError> {
  const error = await promise.then(
    () => assert.fail('expected the source to be refused'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RecipeSourceError, `expected RecipeSourceError, got ${String(error)}`);
  return error;
}

const archive = (entries: TarEntry[]) => ({ kind: 'archive' as const, data: buildTarGz(entries) });

describe('parseRecipeSource', () => {
  it('reads directories, archives, git and github sources', () => {
    assert.deepEqual(parseRecipeSource('./recipes/seal-tags'), { kind: 'path', path: './recipes/seal-tags' });
    assert.deepEqual(parseRecipeSource('/tmp/r.tar.gz'), { kind: 'path', path: '/tmp/r.tar.gz' });
    assert.deepEqual(parseRecipeSource('file:///srv/recipe'), { kind: 'path', path: '/srv/recipe' });
    for (const url of [
      'github://qgreenland-net:ogdc-recipes@main/recipes/seal-tags',
      'git+https://github.com/org/recipes.git@v1.2#recipes/seal-tags',
      'git+file:///srv/repo@main#sub',
      'https://github.com/org/recipes.git',
    ]) {
      assert.deepEqual(parseRecipeSource(url), { kind: 'remote', url });
    }
  });

  it('refuses unsupported and malformed sources with the accepted forms', () => {
    assert.match(
      refusedSync(() => parseRecipeSource('https://example.org/recipe/')),
      /unsupported recipe source "https:\/\/example\.org\/recipe\/"; expected a recipe directory, a \.tar\.gz file, git\+URL/,
    );
    assert.match(
      refusedSync(() => parseRecipeSource('github://org/repo/path')),
      /expected github:\/\/ORG:REPO@REF\/PATH/,
    );
    assert.match(
      refusedSync(() => parseRecipeSource('git+https://h/r.git@main#../../etc')),
      /must stay inside the repository/,
    );
    assert.match(
      refusedSync(() => parseRecipeSource('git+https://h/r.git@--upload-pack=x')),
      /is not a valid git ref/,
    );
    assert.match(
      refusedSync(() => parseRecipeSource('git+ext::sh -c id')),
      /expected git\+URL\[@REF\]\[#PATH\]/,
    );
    assert.match(
      refusedSync(() => parseRecipeSource('  ')),
      /empty recipe source/,
    );
  });
});

function refusedSync(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RecipeSourceError);
    return error.message;
  }
  return assert.fail('expected RecipeSourceError');
}

describe('archive sources', () => {
  it('stages a recipe at the archive root, and cleanup removes it', async () => {
    const staged = await stageRecipe(
      archive([
        { name: 'meta.yml', content: META },
        { name: 'recipe.sh', content: 'true\n' },
      ]),
      OPTIONS,
    );
    assert.deepEqual((await readdir(staged.dir)).sort(), ['meta.yml', 'recipe.sh']);
    const recipe = await loadRecipe(staged.dir, { dataoneNodeUrl: 'http://127.0.0.1:9' });
    assert.equal(recipe.config.id, 'archived');
    await staged.cleanup();
    assert.equal(existsSync(staged.dir), false);
  });

  it('stages a recipe inside a single top-level folder', async () => {
    const staged = await stageRecipe(
      archive([
        { name: 'seal-tags/', type: '5' },
        { name: 'seal-tags/meta.yml', content: META },
        { name: 'seal-tags/recipe.sh', content: 'true\n' },
      ]),
      OPTIONS,
    );
    cleanups.push(staged.cleanup);
    assert.equal(await readFile(path.join(staged.dir, 'meta.yml'), 'utf8'), META);
  });

  it('refuses an archive without meta.yml at the root or in one folder', async () => {
    const error = await refused(
      stageRecipe(
        archive([
          { name: 'a/meta.yml', content: META },
          { name: 'b/x', content: '' },
        ]),
        OPTIONS,
      ),
    );
    assert.match(error.message, /no meta\.yml at the archive root or in its single top-level folder/);
  });

  it('refuses ".." and absolute paths without writing anything outside', async () => {
    const marker = `ogdc-escape-${process.pid}-${Date.now()}`;
    const error = await refused(
      stageRecipe(
        archive([
          { name: 'meta.yml', content: META },
          { name: `../${marker}`, content: 'escaped' },
          { name: `/tmp/${marker}-abs`, content: 'escaped' },
        ]),
        OPTIONS,
      ),
    );
    assert.match(error.message, new RegExp(`"\\.\\./${marker}": "\\.\\." in paths is not allowed`));
    assert.match(error.message, new RegExp(`"/tmp/${marker}-abs": absolute paths are not allowed`));
    assert.equal(existsSync(path.join(os.tmpdir(), marker)), false);
    assert.equal(existsSync(`/tmp/${marker}-abs`), false);
  });

  it('refuses symbolic and hard links', async () => {
    const error = await refused(
      stageRecipe(
        archive([
          { name: 'meta.yml', content: META },
          { name: 'recipe.sh', type: '2', linkname: '/etc/passwd' },
          { name: 'copy', type: '1', linkname: 'meta.yml' },
        ]),
        OPTIONS,
      ),
    );
    assert.match(error.message, /"recipe\.sh": is a symbolic link \(to "\/etc\/passwd"\); links are not allowed in recipes/);
    assert.match(error.message, /"copy": is a hard link \(to "meta\.yml"\)/);
  });

  it('refuses too many files and too many bytes', async () => {
    const many = Array.from({ length: 8 }, (_, i) => ({ name: `f${i}.txt`, content: 'x' }));
    let error = await refused(stageRecipe(archive([{ name: 'meta.yml', content: META }, ...many]), { ...OPTIONS, maxFiles: 5 }));
    assert.match(error.message, /more than 5 files and directories/);
    error = await refused(
      stageRecipe(
        archive([
          { name: 'meta.yml', content: META },
          { name: 'big', content: 'x'.repeat(5000) },
        ]),
        { ...OPTIONS, maxBytes: 4096 },
      ),
    );
    assert.match(error.message, /more than 4096 bytes of files/);
    error = await refused(stageRecipe(archive([{ name: 'meta.yml', content: META }]), { ...OPTIONS, maxDownloadBytes: 10 }));
    assert.match(error.message, /the uploaded recipe archive is larger than 10 bytes/);
  });

  it('refuses data that is not an archive', async () => {
    const error = await refused(stageRecipe({ kind: 'archive', data: Buffer.from('definitely not a tarball') }, OPTIONS));
    assert.match(error.message, /uploaded recipe archive/);
  });

  it('stages a .tar.gz file given as a path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-archive-path-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'recipe.tar.gz');
    await writeFile(file, buildTarGz([{ name: 'meta.yml', content: META }]));
    const staged = await stageRecipe(parseRecipeSource(file), OPTIONS);
    cleanups.push(staged.cleanup);
    assert.deepEqual(await readdir(staged.dir), ['meta.yml']);
  });
});

describe('local directory sources', () => {
  it('copies a corpus recipe', async () => {
    const staged = await stageRecipe(
      { kind: 'path', path: path.join(recipeCorpusDir(), 'upstream-tests/test_viz_workflow_recipe_dir') },
      OPTIONS,
    );
    cleanups.push(staged.cleanup);
    assert.deepEqual((await readdir(staged.dir)).sort(), ['config.json', 'meta.yml']);
  });

  it('follows links to files inside the recipe, refuses links leaving it', async () => {
    const { dir, cleanup } = await writeRecipeDir({ 'meta.yml': META, 'steps.sh': 'true\n' });
    cleanups.push(cleanup);
    await symlink('steps.sh', path.join(dir, 'recipe.sh'));
    const staged = await stageRecipe({ kind: 'path', path: dir }, OPTIONS);
    cleanups.push(staged.cleanup);
    assert.equal(await readFile(path.join(staged.dir, 'recipe.sh'), 'utf8'), 'true\n');

    await symlink('/etc/passwd', path.join(dir, 'passwd'));
    const error = await refused(stageRecipe({ kind: 'path', path: dir }, OPTIONS));
    assert.match(error.message, /"passwd" is a link leaving the recipe directory/);
  });

  it('honours allowLocalPaths: refused when false, only under the given roots', async () => {
    const { dir, cleanup } = await writeRecipeDir({ 'meta.yml': META });
    cleanups.push(cleanup);
    let error = await refused(stageRecipe({ kind: 'path', path: dir }, { ...OPTIONS, allowLocalPaths: false }));
    assert.match(error.message, /local paths are not accepted here/);
    error = await refused(stageRecipe({ kind: 'path', path: dir }, { ...OPTIONS, allowLocalPaths: ['/nonexistent-root'] }));
    assert.match(error.message, /is outside the directories recipes may be read from/);
    const staged = await stageRecipe({ kind: 'path', path: dir }, { ...OPTIONS, allowLocalPaths: [path.dirname(dir)] });
    cleanups.push(staged.cleanup);
    assert.deepEqual(await readdir(staged.dir), ['meta.yml']);
    error = await refused(stageRecipe({ kind: 'path', path: path.join(dir, 'missing') }, OPTIONS));
    assert.match(error.message, /does not exist/);
  });
});
