import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { renderRecipe } from '../../src/cli/commands/render.ts';
import { RecipeSourceError } from '../../src/recipe/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { recipeCorpusDir } from '../helpers/recipe-corpus.ts';

const corpus = recipeCorpusDir();
const env = { ARGO_NAMESPACE: 'test-ns', OGDC_RUNNER_IMAGE_TAG: 'v9', OGDC_WORKFLOW_PVC_NAME: 'test-pvc', OGDC_API_USERNAME: 'carol' };

async function render(dir: string, format: 'yaml' | 'json') {
  let stdout = '';
  let stderr = '';
  const code = await renderRecipe(path.join(corpus, dir), { format, env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('ogdc-runner render', () => {
  it('prints the YAML manifest with settings from the environment, and nothing on stderr for a sequential recipe', async () => {
    const { code, stdout, stderr } = await render('upstream-tests/test_shell_workflow_recipe_dir', 'yaml');
    assert.equal(code, 0);
    assert.equal(stderr, '');
    const manifest = parse(stdout) as {
      metadata: { namespace: string; labels: Record<string, string> };
      spec: { volumes: Array<{ persistentVolumeClaim: { claimName: string } }>; templates: Array<{ container?: { image: string } }> };
    };
    assert.deepEqual(validateWorkflowManifest(manifest), { valid: true });
    assert.equal(manifest.metadata.namespace, 'test-ns');
    assert.equal(manifest.metadata.labels['ogdc/submitter'], 'carol');
    assert.equal(manifest.spec.volumes[0]!.persistentVolumeClaim.claimName, 'test-pvc');
    assert.equal(manifest.spec.templates[1]!.container!.image, 'ghcr.io/qgreenland-net/ogdc-runner:v9');
  });

  it('prints JSON with --format json and names the uploads of a parallel recipe on stderr', async () => {
    const { code, stdout, stderr } = await render('upstream-tests/test_parallel_shell_recipe_dir', 'json');
    assert.equal(code, 0);
    const manifest = JSON.parse(stdout) as { metadata: { generateName: string } };
    assert.equal(manifest.metadata.generateName, 'test-parallel-shell-workflow-parallel-shell-');
    assert.match(stderr, /^Submitting stores ogdc-inputs\/[0-9a-f-]{36}\/inputs\.tsv \(\d+ bytes\) in the artifact repository first\.$/m);
  });

  it('refuses a path that does not exist, naming it', async () => {
    await assert.rejects(
      render('no-such-recipe', 'yaml'),
      (e: unknown) => e instanceof RecipeSourceError && /no-such-recipe.*does not exist/.test(e.message),
    );
  });

  it('runs from the command line and reports an invalid recipe with its problems', async () => {
    const ok = await runCli(['render', path.join(corpus, 'upstream-tests/test_temp_output_recipe_dir')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /generateName: test-ogdc-workflow-shell-/);
    const bad = await runCli(['render', path.join(corpus, 'ogdc-recipes/viz-workflow')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /output.*a visualization workflow can only publish to "pvc"/);
    const format = await runCli(['render', '--format', 'xml', path.join(corpus, 'upstream-tests/test_temp_output_recipe_dir')]);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /--format must be "yaml" or "json", got "xml"/);
  });
});
