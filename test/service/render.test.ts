import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { writeRecipe } from '../helpers/recipes.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';

for (const target of dbTargets()) {
  describe(`POST /render on ${target.name}`, () => {
    let svc: TestService;
    let alice: string;
    before(async () => {
      svc = await startTestService(target, {}, { createEngine });
      alice = await svc.userToken('alice');
    });
    after(() => svc.stop());

    const render = async (dir: string, token = alice) =>
      svc.app.inject({
        method: 'POST',
        url: `/render?name=${path.basename(dir)}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        payload: await packRecipe(dir),
      });

    it('answers the manifest a submission would run, and records no run', async () => {
      const dir = await writeRecipe({
        name: 'Render me',
        inputs: ['https://example.org/a.txt'],
        steps: ['cp /input_dir/a.txt /output_dir/'],
      });
      const res = await render(dir);
      assert.equal(res.statusCode, 200, res.body);
      const { manifest } = res.json();
      assert.equal(manifest.apiVersion, 'argoproj.io/v1alpha1');
      assert.equal(manifest.kind, 'Workflow');
      assert.ok(Array.isArray(manifest.spec.templates) && manifest.spec.templates.length > 0);
      const runs = await svc.app.inject({ url: '/runs', headers: { authorization: `Bearer ${alice}` } });
      assert.equal(runs.json().total, 0);
    });

    it('answers an invalid recipe with the 422 /submit gives, and needs authentication', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-render-bad-'));
      await writeFile(path.join(dir, 'meta.yml'), 'name: "Broken"\nworkflow:\n  type: nonsense\n');
      const res = await render(dir);
      assert.equal(res.statusCode, 422);
      assert.match(res.json().detail, /invalid|workflow/i);
      const anonymous = await svc.app.inject({ method: 'POST', url: '/render', payload: { recipe_path: 'x' } });
      assert.equal(anonymous.statusCode, 401);
    });
  });
}
