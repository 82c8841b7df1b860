import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { validateRecipeCommand } from '../../src/cli/commands/validate-recipe.ts';
import { writeRecipeDir } from '../helpers/recipe-dir.ts';

const META = (claim: string, dir: string) => `name: "Pre-staged"
workflow: {type: shell}
input:
  params:
    - {type: pvc_mount, claim_name: ${claim}, path: ${dir}, glob: "**/*.tif"}
`;

describe('validate-recipe with pvc_mount inputs', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(() => Promise.all(cleanups.map((c) => c())));

  it('with the local engine, checks the claim is allowed and the path is a folder of <data dir>/volumes/<claim>', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-pvc-validate-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    await mkdir(path.join(dataDir, 'volumes', 'survey-data', 'tiles'), { recursive: true });
    const env = { HOME: os.tmpdir(), OGDC_DATA_DIR: dataDir, OGDC_ALLOWED_INPUT_PVCS: '["survey-data"]' };
    const run = async (claim: string, dir: string) => {
      const recipe = await writeRecipeDir({ 'meta.yml': META(claim, dir), 'recipe.sh': 'true\n' });
      cleanups.push(recipe.cleanup);
      let text = '';
      const code = await validateRecipeCommand(recipe.dir, { env, out: { write: (s: string) => (text += s) } });
      return { code, text };
    };
    assert.equal((await run('survey-data', 'tiles')).code, 0);
    const missing = await run('survey-data', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.text, /meta\.yml: input\.params\[0\]\.path \(line 5\): "nope" is not a folder in claim "survey-data"/);
    const other = await run('other-claim', 'tiles');
    assert.match(other.text, /input\.params\[0\]\.claim_name \(line 5\): claim "other-claim" is not one recipes may read/);
    const escaping = await run('survey-data', '../etc');
    assert.match(escaping.text, /input\.params\[0\]\.path \(line 5\): path must not contain parent directory references/);
  });
});
