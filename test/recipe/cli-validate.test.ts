import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliError } from '../../src/cli/errors.ts';
import { validateAllRecipesCommand } from '../../src/cli/commands/validate-all-recipes.ts';
import { validateRecipeCommand } from '../../src/cli/commands/validate-recipe.ts';
import { type DataoneStandin, startDataoneStandin } from '../helpers/dataone-standin.ts';
import { makeGitRepo } from '../helpers/git-repo.ts';
import { corpusDatasets, recipeCorpusDir } from '../helpers/recipe-corpus.ts';

let node: DataoneStandin;
let files: { url: string; close(): void };
const cleanups: Array<() => Promise<void>> = [];

function collector() {
  let text = '';
  return { out: { write: (s: string) => (text += s) }, text: () => text };
}

async function corpusFiles(recipe: string): Promise<Record<string, string>> {
  const dir = path.join(recipeCorpusDir(), recipe);
  const entries: Record<string, string> = {};
  for (const name of await readdir(dir)) entries[`recipes/${path.basename(recipe)}/${name}`] = await readFile(path.join(dir, name), 'utf8');
  return entries;
}

describe('validate-recipe and validate-all-recipes commands', () => {
  before(async () => {
    node = await startDataoneStandin(corpusDatasets);
    const server = createServer((req, res) => res.writeHead(req.url === '/ok.tif' ? 200 : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    files = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  });
  after(async () => {
    await node.close();
    files.close();
    await Promise.all(cleanups.map((c) => c()));
  });

  it('validate-recipe prints the verdict and the problems, one per line, and returns the exit code', async () => {
    const env = { DATAONE_NODE_URL: node.url };
    const good = collector();
    const seal = path.join(recipeCorpusDir(), 'ogdc-recipes/seal-tags');
    assert.equal(await validateRecipeCommand(seal, { env, out: good.out }), 0);
    assert.equal(good.text(), `Recipe ${seal} is valid.\n`);

    const bad = collector();
    const viz = path.join(recipeCorpusDir(), 'ogdc-recipes/viz-workflow');
    assert.equal(await validateRecipeCommand(viz, { env, out: bad.out }), 1);
    const lines = bad.text().trimEnd().split('\n');
    assert.equal(lines[0], `Recipe ${viz} is invalid.`);
    assert.match(lines[1]!, /^meta\.yml: output \(line \d+\): a visualization workflow can only publish to "pvc"/);
    assert.equal(lines.length, 3);
  });

  it('validate-recipe accepts a git source', async () => {
    const repo = await makeGitRepo(await corpusFiles('upstream-tests/test_shell_workflow_recipe_dir'));
    cleanups.push(repo.cleanup);
    const output = collector();
    const source = `git+${repo.url}@main#recipes/test_shell_workflow_recipe_dir`;
    assert.equal(await validateRecipeCommand(source, { env: {}, out: output.out }), 0);
    assert.equal(output.text(), `Recipe ${source} is valid.\n`);
  });

  it('validate-all-recipes validates every recipe of a cloned repository and prints the totals', async () => {
    const repo = await makeGitRepo(
      {
        ...(await corpusFiles('ogdc-recipes/seal-tags')),
        ...(await corpusFiles('ogdc-recipes/viz-workflow')),
        ...(await corpusFiles('ogdc-recipes/agb-plant')),
        'README.md': 'recipes\n',
      },
      ['v2'],
    );
    cleanups.push(repo.cleanup);
    const output = collector();
    const code = await validateAllRecipesCommand(repo.dir, {
      ref: 'v2',
      checkUrls: false,
      env: { DATAONE_NODE_URL: node.url },
      out: output.out,
    });
    assert.equal(code, 1);
    const text = output.text();
    assert.ok(
      text.startsWith(
        `Cloning ${repo.dir}@v2...\nFound 3 recipes to validate\n\n✓ agb-plant\n✓ seal-tags\n✗ viz-workflow\n  meta.yml: output (line `,
      ),
      text,
    );
    assert.ok(text.endsWith('\nValidation Results:\n  Valid: 2\n  Invalid: 1\n\nFailed recipes:\n  - viz-workflow\n'), text);
  });

  it('validate-all-recipes --check-urls makes a recipe with a failing URL invalid, naming URL and status', async () => {
    const meta = (url: string) => `name: "Checked"\nworkflow: {type: shell}\ninput:\n  params:\n    - {type: url, value: "${url}"}\n`;
    const repo = await makeGitRepo({
      'recipes/good/meta.yml': meta(`${files.url}/ok.tif`),
      'recipes/good/recipe.sh': 'true\n',
      'recipes/broken/meta.yml': meta(`${files.url}/gone.tif`),
      'recipes/broken/recipe.sh': 'true\n',
    });
    cleanups.push(repo.cleanup);
    const unchecked = collector();
    assert.equal(await validateAllRecipesCommand(repo.url, { ref: 'main', checkUrls: false, env: {}, out: unchecked.out }), 0);
    assert.match(unchecked.text(), /Valid: 2\n  Invalid: 0\n$/);

    const checked = collector();
    assert.equal(await validateAllRecipesCommand(repo.url, { ref: 'main', checkUrls: true, env: {}, out: checked.out }), 1);
    assert.match(checked.text(), /URL validation enabled\n/);
    assert.match(
      checked.text(),
      new RegExp(
        `✗ broken\n  meta\\.yml: input\\.params\\[0\\]\\.value \\(line 5\\): URL check failed for ${files.url}/gone\\.tif: HTTP 404\n`,
      ),
    );
    assert.match(checked.text(), /✓ good\n/);
  });

  it('validate-all-recipes reports a repository that cannot be cloned or has no recipes', async () => {
    const error = await validateAllRecipesCommand('/nonexistent/repo', {
      ref: 'main',
      checkUrls: false,
      env: {},
      out: collector().out,
    }).then(
      () => assert.fail('expected a clone failure'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CliError);
    assert.match(error.message, /^Failed to clone repository: /);

    const empty = await makeGitRepo({ 'README.md': 'nothing\n' });
    cleanups.push(empty.cleanup);
    const output = collector();
    assert.equal(await validateAllRecipesCommand(empty.url, { ref: 'main', checkUrls: false, env: {}, out: output.out }), 1);
    assert.match(output.text(), /No 'recipes' directory found in repository\n$/);
  });
});
