import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets, bearer, recipeArchive, startArgoBackedService, type ArgoBackedService } from './setup.ts';

for (const target of dbTargets()) {
  describe(`Argo Server outage on ${target.name}`, () => {
    let s: ArgoBackedService;
    let token: string;
    before(async () => {
      // A short per-request timeout so a hanging server is given up on quickly.
      s = await startArgoBackedService(target, { ARGO_TIMEOUT_MS: '1500' });
      token = await s.svc.userToken('erin');
    });
    after(() => s.stop());

    const submit = (name: string) =>
      s.svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: bearer(token, { 'content-type': 'application/gzip' }),
        payload: recipeArchive(name),
      });
    const lastRun = async (recipeId: string) =>
      (
        await s.svc.ctx.db.query<{ phase: string; message: string; workflow_name: string | null; finished_at: unknown }>(
          'SELECT phase, message, workflow_name, finished_at FROM recipe_runs WHERE recipe_id = $1 ORDER BY id DESC LIMIT 1',
          [recipeId],
        )
      )[0]!;

    for (const mode of ['down', 'hang', '500'] as const) {
      it(`answers 503 when the Argo Server is ${mode === '500' ? 'failing with 500' : mode}, records the run as not submitted, and submits again once it is back`, async () => {
        const recipe = `Outage ${mode}`;
        const id = `outage-${mode}`;
        s.argo.fail(mode);
        try {
          const res = await submit(recipe);
          assert.equal(res.statusCode, 503, res.body);
          assert.match(res.json().detail, /^The workflow engine is unavailable: /);
          const ready = await s.svc.app.inject({ url: '/health/ready' });
          assert.equal(ready.statusCode, 503);
          assert.equal(ready.json().database, 'ok');
          assert.notEqual(ready.json().engine, 'ok');
        } finally {
          s.argo.fail(null);
        }
        const failed = await lastRun(id);
        assert.equal(failed.phase, 'Error');
        assert.equal(failed.workflow_name, null);
        assert.notEqual(failed.finished_at, null);
        assert.match(failed.message, /^not submitted: /);

        // Not left "in progress": the same recipe goes through once the server is back.
        const again = await submit(recipe);
        assert.equal(again.statusCode, 200, again.body);
        assert.equal((await lastRun(id)).workflow_name, again.json().recipe_workflow_name);
        assert.equal((await s.svc.app.inject({ url: '/health/ready' })).statusCode, 200);
      });
    }
  });
}
