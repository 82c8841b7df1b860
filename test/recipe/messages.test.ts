import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataoneUnavailableError, RecipeValidationError } from '../../src/recipe/errors.ts';
import { type LoadRecipeOptions, loadRecipe } from '../../src/recipe/load.ts';
import { type DataoneStandin, startDataoneStandin } from '../helpers/dataone-standin.ts';
import { writeRecipeDir } from '../helpers/recipe-dir.ts';

const GOOD_META = `name: "Good recipe"
workflow:
  type: shell
input:
  params:
    - type: url
      value: "https://example.org/data/file.tif"
`;

let node: DataoneStandin;
const cleanups: Array<() => Promise<void>> = [];

async function loadFiles(files: Record<string, string>, options: Partial<LoadRecipeOptions> = {}) {
  const { dir, cleanup } = await writeRecipeDir(files);
  cleanups.push(cleanup);
  return loadRecipe(dir, { dataoneNodeUrl: node.url, timeoutMs: 5000, ...options });
}

async function problemsOf(files: Record<string, string>, options: Partial<LoadRecipeOptions> = {}) {
  const error = await loadFiles(files, options).then(
    () => assert.fail('expected the recipe to be invalid'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RecipeValidationError, `expected RecipeValidationError, got ${String(error)}`);
  return error;
}

describe('recipe validation messages', () => {
  before(async () => {
    node = await startDataoneStandin({
      'resource_map_urn:uuid:abc': [{ fileName: 'one.csv' }, { fileName: 'two.csv' }, { fileName: 'Three.CSV' }],
    });
  });
  after(async () => {
    await node.close();
    await Promise.all(cleanups.map((c) => c()));
  });

  it('accepts a minimal valid recipe and fills in the defaults', async () => {
    const recipe = await loadFiles({ 'meta.yml': GOOD_META, 'recipe.sh': '# comment\n\n  cp /input_dir/* /output_dir/  \n' });
    assert.equal(recipe.config.id, 'good-recipe');
    assert.deepEqual(recipe.config.output, { type: 'pvc' });
    assert.deepEqual(recipe.steps, ['cp /input_dir/* /output_dir/']);
  });

  it('names the file, key path and line of unknown keys at every level, all at once', async () => {
    const error = await problemsOf({
      'meta.yml': `name: "Bad keys"
colour: blue
workflow:
  type: shell
  parallel:
    enabled: true
    partition_sise: 3
input:
  params:
    - type: url
      value: "https://example.org/a.tif"
      checksum: abc
output:
  type: temporary
  bucket: x
`,
      'recipe.sh': 'true\n',
    });
    assert.deepEqual(
      error.problems.map((p) => [p.file, p.path, p.line]),
      [
        ['meta.yml', 'colour', 2],
        ['meta.yml', 'workflow.parallel.partition_sise', 7],
        ['meta.yml', 'input.params[0].checksum', 12],
        ['meta.yml', 'output.bucket', 15],
      ],
    );
    assert.match(
      error.message,
      /^meta\.yml: workflow\.parallel\.partition_sise \(line 7\): unknown key; expected one of "enabled", "partition_strategy", "partition_size", "max_parallelism"$/m,
    );
    assert.match(error.message, /^meta\.yml: colour \(line 2\): unknown key; expected one of "name", "workflow", "input", "output"$/m);
  });

  it('reports a YAML syntax error with its line', async () => {
    const error = await problemsOf({ 'meta.yml': 'name: "x"\nworkflow:\n  type: shell\ninput: [a,\n', 'recipe.sh': 'true\n' });
    assert.equal(error.problems.length, 1);
    assert.equal(error.problems[0]!.file, 'meta.yml');
    assert.match(error.message, /^meta\.yml: \(line \d\): YAML syntax error: /);
  });

  it('reports a duplicated key as a YAML error naming the line', async () => {
    const error = await problemsOf({ 'meta.yml': 'name: a\nname: b\n' });
    assert.match(error.message, /^meta\.yml: \(line 2\): YAML syntax error: Map keys must be unique/);
  });

  it('reports a missing meta.yml', async () => {
    const error = await problemsOf({ 'recipe.sh': 'true\n' });
    assert.match(error.message, /^meta\.yml: not found in the recipe directory /);
  });

  it('reports a missing default and a missing custom sh_file', async () => {
    let error = await problemsOf({ 'meta.yml': GOOD_META });
    assert.match(error.message, /^meta\.yml: workflow\.sh_file \(line 2\): file "recipe\.sh" does not exist in the recipe directory$/m);
    error = await problemsOf({ 'meta.yml': GOOD_META.replace('type: shell', 'type: shell\n  sh_file: steps.sh'), 'recipe.sh': 'true\n' });
    assert.match(error.message, /^meta\.yml: workflow\.sh_file \(line 4\): file "steps\.sh" does not exist/m);
  });

  it('refuses an sh_file outside the recipe directory and one with no steps', async () => {
    let error = await problemsOf({ 'meta.yml': GOOD_META.replace('type: shell', 'type: shell\n  sh_file: ../etc/passwd') });
    assert.match(
      error.message,
      /workflow\.sh_file \(line 4\): expected a file name relative to the recipe directory, got "\.\.\/etc\/passwd"/,
    );
    error = await problemsOf({ 'meta.yml': GOOD_META, 'recipe.sh': '# only a comment\n\n' });
    assert.match(error.message, /workflow\.sh_file.*has no steps/);
  });

  it('reports a config.json that is missing or not JSON', async () => {
    const viz = GOOD_META.replace('type: shell', 'type: visualization\n  config_file: config.json');
    let error = await problemsOf({ 'meta.yml': viz });
    assert.match(
      error.message,
      /^meta\.yml: workflow\.config_file \(line 4\): file "config\.json" does not exist in the recipe directory$/m,
    );
    error = await problemsOf({ 'meta.yml': viz, 'config.json': '{"a": 1,}' });
    assert.match(error.message, /^meta\.yml: workflow\.config_file \(line 4\): file "config\.json" is not valid JSON: /m);
    error = await problemsOf({ 'meta.yml': viz, 'config.json': '[1, 2]' });
    assert.match(error.message, /file "config\.json" must hold a JSON object/);
  });

  it('rejects shell keys in a visualization workflow and vice versa', async () => {
    const error = await problemsOf({
      'meta.yml': GOOD_META.replace('type: shell', 'type: visualization\n  sh_file: recipe.sh\n  batch_size: 0'),
    });
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ['workflow.sh_file', 'workflow.batch_size'],
    );
    assert.match(error.message, /workflow\.batch_size \(line 5\): expected a positive whole number, got number 0/);
  });

  it('reports every wrong value with what was expected', async () => {
    const error = await problemsOf({
      'meta.yml': `name: "bad_name"
workflow:
  type: bash
input:
  params: []
output:
  type: s3
`,
    });
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ['name', 'workflow.type', 'input.params', 'output.type'],
    );
    assert.match(
      error.message,
      /name \(line 1\): expected only letters, digits, spaces, "\." and "-" \(pattern \^\[a-zA-Z0-9 \.-\]\+\$\), got "bad_name"/,
    );
    assert.match(error.message, /workflow\.type \(line 3\): expected one of "shell", "visualization", got the string "bash"/);
    assert.match(error.message, /input\.params \(line 5\): expected a list of at least one input, got an empty list/);
    assert.match(error.message, /output\.type \(line 7\): expected one of "pvc", "temporary", "dataone", got the string "s3"/);
  });

  it('reports missing required keys and wrong parallel settings', async () => {
    const error = await problemsOf({
      'meta.yml': `workflow:
  type: shell
  parallel: {enabled: "yes", partition_strategy: chunks, partition_size: -1}
`,
      'recipe.sh': 'true\n',
    });
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ['name', 'workflow.parallel.enabled', 'workflow.parallel.partition_strategy', 'workflow.parallel.partition_size', 'input'],
    );
    assert.match(error.message, /meta\.yml: name: required key is missing; expected a string/);
    assert.match(error.message, /partition_size \(line 3\): expected a positive whole number or null, got number -1/);
  });

  it('says a dataone output is not publishable yet, naming output', async () => {
    const error = await problemsOf({ 'meta.yml': GOOD_META + 'output:\n  type: dataone\n', 'recipe.sh': 'true\n' });
    assert.equal(
      error.message,
      'meta.yml: output (line 8): publishing to DataONE is not supported yet; expected output type "pvc" or "temporary"',
    );
  });

  it('refuses non-http URL inputs, unsupported input types and pvc_mount mixed with URL inputs', async () => {
    const error = await problemsOf({
      'meta.yml':
        GOOD_META.replace('https://example.org/data/file.tif', 'file:///etc/passwd') +
        '    - type: pvc_mount\n      claim_name: x\n      path: y\n    - type: file_system\n',
      'recipe.sh': 'true\n',
    });
    assert.match(error.message, /input\.params\[0\]\.value \(line 7\): expected an http\(s\) URL, got the string "file:\/\/\/etc\/passwd"/);
    assert.match(error.message, /input\.params \(line \d+\): pvc_mount inputs cannot be combined with URL or DataONE inputs/);
    assert.match(error.message, /input\.params\[2\]\.type \(line 11\): "file_system" inputs are not supported by this runner/);
  });

  it('resolves a case-insensitive ? glob and lists the available names when nothing matches', async () => {
    const dataone = (filename: string) =>
      GOOD_META.replace(
        /- type: url\n\s+value: .*\n/,
        `- type: dataone\n      dataset_identifier: "resource_map_urn:uuid:abc"\n      filename: "${filename}"\n`,
      );
    const recipe = await loadFiles({ 'meta.yml': dataone('t??.csv'), 'recipe.sh': 'true\n' });
    assert.deepEqual(
      recipe.inputs.map((i) => i.filename),
      ['two.csv'],
    );
    const all = await loadFiles({ 'meta.yml': dataone('*.csv'), 'recipe.sh': 'true\n' });
    assert.deepEqual(
      all.inputs.map((i) => i.filename),
      ['one.csv', 'two.csv', 'Three.CSV'],
    );

    const error = await problemsOf({ 'meta.yml': dataone('four.csv'), 'recipe.sh': 'true\n' });
    assert.equal(
      error.message,
      'meta.yml: input.params[0].filename (line 8): no file in dataset "resource_map_urn:uuid:abc" matches "four.csv"; available files: "one.csv", "two.csv", "Three.CSV"',
    );
  });

  it('reports a dataset with no objects', async () => {
    const error = await problemsOf({
      'meta.yml': GOOD_META.replace(/- type: url\n\s+value: .*\n/, '- type: dataone\n      dataset_identifier: "doi:10.1/not-a-package"\n'),
      'recipe.sh': 'true\n',
    });
    assert.match(
      error.message,
      /input\.params\[0\]\.dataset_identifier \(line 7\): dataset "doi:10\.1\/not-a-package" has no data objects on http:\/\/127\.0\.0\.1:\d+\/metacat\/d1\/mn; expected a data package identifier/,
    );
  });

  it('names the node when the DataONE node cannot be reached', async () => {
    const dead = await startDataoneStandin({});
    await dead.close();
    const files = {
      'meta.yml': GOOD_META.replace(
        /- type: url\n\s+value: .*\n/,
        '- type: dataone\n      dataset_identifier: "resource_map_urn:uuid:abc"\n',
      ),
      'recipe.sh': 'true\n',
    };
    const error = await loadFiles(files, { dataoneNodeUrl: dead.url }).then(
      () => assert.fail('expected an unreachable node to fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DataoneUnavailableError);
    assert.equal(error.nodeUrl, dead.url);
    assert.match(
      error.message,
      new RegExp(
        `^DataONE node ${dead.url.replaceAll('.', '\\.')} could not be queried for dataset "resource_map_urn:uuid:abc": ECONNREFUSED`,
      ),
    );

    // With other problems present the recipe is invalid anyway, and the message says DataONE went unchecked.
    const invalid = await problemsOf(
      { ...files, 'meta.yml': files['meta.yml'].replace('Good recipe', 'bad_name') },
      { dataoneNodeUrl: dead.url },
    );
    assert.match(invalid.message, /^meta\.yml: input\.params \(line \d\): DataONE inputs could not be checked: DataONE node http/m);
  });

  it('does not contact the node when DataONE resolution is off', async () => {
    const dead = await startDataoneStandin({});
    await dead.close();
    const recipe = await loadFiles(
      {
        'meta.yml':
          GOOD_META.replace('https://example.org/data/file.tif', 'https://example.org/x.tif') +
          '    - {type: dataone, dataset_identifier: "resource_map_urn:uuid:abc"}\n',
        'recipe.sh': 'true\n',
      },
      { dataoneNodeUrl: dead.url, resolveInputs: false },
    );
    assert.deepEqual(recipe.inputs, [{ url: 'https://example.org/x.tif', filename: 'x.tif' }]);
    assert.equal(recipe.config.input.params.length, 2);
  });

  it('checks URL inputs with HEAD when asked, naming the URL and status', async () => {
    const base = node.url.replace(/\/metacat.*/, '');
    const error = await problemsOf(
      { 'meta.yml': GOOD_META.replace('https://example.org/data/file.tif', `${base}/missing.tif`), 'recipe.sh': 'true\n' },
      { checkUrls: true },
    );
    assert.equal(error.message, `meta.yml: input.params[0].value (line 7): URL check failed for ${base}/missing.tif: HTTP 404`);
    const objectUrl = `${node.url}/v2/object/${encodeURIComponent('urn:uuid:resource_map_urn:uuid:abc/one.csv')}`;
    const ok = await loadFiles(
      { 'meta.yml': GOOD_META.replace('https://example.org/data/file.tif', objectUrl), 'recipe.sh': 'true\n' },
      { checkUrls: true },
    );
    assert.equal(ok.inputs[0]!.url, objectUrl);
  });
});
