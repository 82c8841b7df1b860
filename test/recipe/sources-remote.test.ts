import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RecipeSourceError, RecipeSourceUnavailableError } from '../../src/recipe/errors.ts';
import { loadRecipe } from '../../src/recipe/load.ts';
import { type StageOptions, parseRecipeSource, stageRecipe } from '../../src/recipe/sources.ts';
import { makeGitRepo } from '../helpers/git-repo.ts';
import { buildTarGz } from '../helpers/tar-builder.ts';

const META = (name: string) =>
  `name: "${name}"\nworkflow: {type: shell}\ninput:\n  params:\n    - {type: url, value: "https://example.org/a.tif"}\n`;
const OPTIONS: StageOptions = { allowLocalPaths: true, allowPrivateHosts: true, timeoutMs: 20_000 };
const cleanups: Array<() => Promise<void>> = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function rejected<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => assert.fail('expected staging to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
  return error;
}

async function stage(text: string, options: StageOptions = OPTIONS) {
  const staged = await stageRecipe(parseRecipeSource(text), options);
  cleanups.push(staged.cleanup);
  return staged;
}

describe('git sources', () => {
  let repo: Awaited<ReturnType<typeof makeGitRepo>>;
  before(async () => {
    repo = await makeGitRepo(
      {
        'recipes/one/meta.yml': META('Recipe one'),
        'recipes/one/recipe.sh': 'true\n',
        'recipes/leaky/meta.yml': META('Leaky'),
        'recipes/leaky/recipe.sh': { link: '../one/recipe.sh' },
        'meta.yml': META('Root recipe'),
        'recipe.sh': 'true\n',
      },
      ['v1'],
    );
    cleanups.push(repo.cleanup);
  });

  it('clones a branch and stages its sub-path', async () => {
    const staged = await stage(`git+${repo.url}@main#recipes/one`);
    assert.deepEqual((await readdir(staged.dir)).sort(), ['meta.yml', 'recipe.sh']);
    const recipe = await loadRecipe(staged.dir, { dataoneNodeUrl: 'http://127.0.0.1:9' });
    assert.equal(recipe.config.id, 'recipe-one');
  });

  it('clones a tag, with pip-style #subdirectory=', async () => {
    const staged = await stage(`git+${repo.url}@v1#subdirectory=recipes/one`);
    assert.equal(await readFile(`${staged.dir}/meta.yml`, 'utf8'), META('Recipe one'));
  });

  it('stages the repository root without its .git folder when no sub-path is given', async () => {
    const staged = await stage(`git+${repo.url}`);
    assert.deepEqual((await readdir(staged.dir)).sort(), ['meta.yml', 'recipe.sh', 'recipes']);
  });

  it('says which ref or sub-path does not exist', async () => {
    let error = await rejected(stage(`git+${repo.url}@nope#recipes/one`), RecipeSourceError);
    assert.match(error.message, /the repository has no branch or tag "nope"/);
    error = await rejected(stage(`git+${repo.url}@main#recipes/two`), RecipeSourceError);
    assert.match(error.message, /the repository has no directory "recipes\/two"/);
  });

  it('refuses a link leaving the recipe folder', async () => {
    const error = await rejected(stage(`git+${repo.url}@main#recipes/leaky`), RecipeSourceError);
    assert.match(error.message, /"recipe\.sh" is a link leaving the recipe directory/);
  });

  it('refuses file:// repositories unless local paths are allowed', async () => {
    const error = await rejected(stage(`git+${repo.url}@main#recipes/one`, { ...OPTIONS, allowLocalPaths: false }), RecipeSourceError);
    assert.match(error.message, /local paths are not accepted here/);
  });

  it('refuses loopback hosts unless private hosts are allowed, and reports unreachable ones', async () => {
    const error = await rejected(
      stage('git+http://127.0.0.1:9/recipes.git@main#one', { ...OPTIONS, allowPrivateHosts: false }),
      RecipeSourceError,
    );
    assert.match(error.message, /host "127\.0\.0\.1" \(127\.0\.0\.1\) is a loopback, private or link-local address/);
    const down = await rejected(stage('git+http://127.0.0.1:9/recipes.git@main#one'), RecipeSourceUnavailableError);
    assert.match(down.message, /git clone of http:\/\/127\.0\.0\.1:9\/recipes\.git failed/);
  });
});

describe('github:// sources', () => {
  let baseUrl: string;
  const requests: string[] = [];
  const close: Array<() => void> = [];
  before(async () => {
    const tarball = buildTarGz([
      { name: 'ogdc-recipes-main/', type: '5' },
      { name: 'ogdc-recipes-main/README.md', content: 'recipes' },
      { name: 'ogdc-recipes-main/docs/link', type: '2', linkname: '/etc/passwd' },
      { name: 'ogdc-recipes-main/recipes/seal-tags/meta.yml', content: META('Seal tags') },
      { name: 'ogdc-recipes-main/recipes/seal-tags/recipe.sh', content: 'ogr2ogr out in\n' },
      { name: 'ogdc-recipes-main/recipes/seal-tags-extra/meta.yml', content: META('Other') },
      { name: 'ogdc-recipes-main/recipes/bad/meta.yml', content: META('Bad') },
      { name: 'ogdc-recipes-main/recipes/bad/recipe.sh', type: '2', linkname: '../../README.md' },
    ]);
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/qgreenland-net/ogdc-recipes/tar.gz/main') res.writeHead(200, { 'content-type': 'application/x-gzip' }).end(tarball);
      else res.writeHead(404).end('Not Found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close.push(() => server.close());
  });
  after(() => close.forEach((c) => c()));

  it('downloads the archive and stages only the recipe folder', async () => {
    const staged = await stage('github://qgreenland-net:ogdc-recipes@main/recipes/seal-tags', { ...OPTIONS, githubBaseUrl: baseUrl });
    assert.deepEqual((await readdir(staged.dir)).sort(), ['meta.yml', 'recipe.sh']);
    assert.equal(await readFile(`${staged.dir}/recipe.sh`, 'utf8'), 'ogr2ogr out in\n');
    assert.ok(requests.includes('/qgreenland-net/ogdc-recipes/tar.gz/main'));
  });

  it('refuses links inside the recipe folder', async () => {
    const error = await rejected(
      stage('github://qgreenland-net:ogdc-recipes@main/recipes/bad', { ...OPTIONS, githubBaseUrl: baseUrl }),
      RecipeSourceError,
    );
    assert.match(error.message, /"ogdc-recipes-main\/recipes\/bad\/recipe\.sh": is a symbolic link/);
  });

  it('says when the path, repository or ref does not exist', async () => {
    let error = await rejected(
      stage('github://qgreenland-net:ogdc-recipes@main/recipes/nope', { ...OPTIONS, githubBaseUrl: baseUrl }),
      RecipeSourceError,
    );
    assert.match(error.message, /the path "recipes\/nope" does not exist/);
    error = await rejected(
      stage('github://qgreenland-net:ogdc-recipes@dev/recipes/seal-tags', { ...OPTIONS, githubBaseUrl: baseUrl }),
      RecipeSourceError,
    );
    assert.match(error.message, /repository qgreenland-net\/ogdc-recipes or ref "dev" not found/);
  });

  it('bounds the download size and refuses a loopback base URL unless allowed', async () => {
    let error = await rejected(
      stage('github://qgreenland-net:ogdc-recipes@main/recipes/seal-tags', { ...OPTIONS, githubBaseUrl: baseUrl, maxDownloadBytes: 100 }),
      RecipeSourceError,
    );
    assert.match(error.message, /the archive is larger than 100 bytes/);
    error = await rejected(
      stage('github://qgreenland-net:ogdc-recipes@main/recipes/seal-tags', {
        ...OPTIONS,
        githubBaseUrl: baseUrl,
        allowPrivateHosts: false,
      }),
      RecipeSourceError,
    );
    assert.match(error.message, /is a loopback, private or link-local address/);
  });
});

describe('staging and resolution time bounds', () => {
  it('gives up on a GitHub stand-in that never answers, naming the source', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const error = await rejected(
        stageRecipe(parseRecipeSource('github://org:repo@main/r'), { ...OPTIONS, githubBaseUrl: baseUrl, timeoutMs: 300 }),
        RecipeSourceUnavailableError,
      );
      assert.match(error.message, /^recipe source "github:\/\/org:repo@main\/r"/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('gives up on a DataONE node that never answers, naming the node', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const nodeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mn`;
    const { writeRecipeDir } = await import('../helpers/recipe-dir.ts');
    const { DataoneUnavailableError } = await import('../../src/recipe/errors.ts');
    const recipe = await writeRecipeDir({
      'meta.yml': 'name: "Slow"\nworkflow: {type: shell}\ninput:\n  params:\n    - {type: dataone, dataset_identifier: "resource_map_x"}\n',
      'recipe.sh': 'true\n',
    });
    cleanups.push(recipe.cleanup);
    try {
      const error = await rejected(loadRecipe(recipe.dir, { dataoneNodeUrl: nodeUrl, timeoutMs: 300 }), DataoneUnavailableError);
      assert.equal(error.message, `DataONE node ${nodeUrl} could not be queried for dataset "resource_map_x": no answer within 300 ms`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
