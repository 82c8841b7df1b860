import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, dbTargets, recipeArchive, startArgoBackedService, type ArgoBackedService } from '../reliability/setup.ts';
import { eventually } from '../helpers/poll.ts';

for (const target of dbTargets()) {
  describe(`published recipe ids belong to their first publisher on ${target.name}`, () => {
    let s: ArgoBackedService;
    let alice: string;
    let bob: string;
    let carol: string;
    let admin: string;
    before(async () => {
      s = await startArgoBackedService(target);
      [alice, bob, carol, admin] = await Promise.all([
        s.svc.userToken('alice'),
        s.svc.userToken('bob'),
        s.svc.userToken('carol'),
        s.svc.adminToken(),
      ]);
    });
    after(() => s.stop());

    const upload = (token: string, archive: Buffer, query = '') =>
      s.svc.app.inject({
        method: 'POST',
        url: `/submit${query}`,
        headers: bearer(token, { 'content-type': 'application/gzip' }),
        payload: archive,
      });
    const finish = async (name: string) => {
      s.argo.setStatus(name, { phase: 'Succeeded', progress: '3/3', finishedAt: '2026-01-01T00:00:00Z' });
      // The finished phase reaches the runs table by Argo's watch stream, within a bounded time.
      await eventually(
        'Succeeded on /status',
        async () => (await s.svc.app.inject({ url: `/status/${name}`, headers: bearer(admin) })).json().status,
        (status) => status === 'Succeeded',
      );
    };
    const ownerOf = async (id: string) =>
      (
        await s.svc.ctx.db.query<{ name: string }>(
          'SELECT u.name FROM recipe_owners o JOIN users u ON u.id = o.user_id WHERE o.recipe_id = $1',
          [id],
        )
      ).map((r) => r.name);

    it("refuses another user's submission to a published id, with or without overwrite; admin may overwrite", async () => {
      const archive = recipeArchive('Owned recipe');
      const first = await upload(alice, archive);
      assert.equal(first.statusCode, 200, first.body);
      const detail =
        'Recipe owned-recipe was published by another user; only that user or an admin can publish it. Choose another recipe name.';
      // Refused while alice's run is still going, and after it has published.
      for (const query of ['', '?overwrite=true']) {
        const res = await upload(bob, archive, query);
        assert.equal(res.statusCode, 409);
        assert.equal(res.json().detail, detail);
      }
      await finish(first.json().recipe_workflow_name as string);
      for (const query of ['', '?overwrite=true']) {
        const res = await upload(bob, archive, query);
        assert.equal(res.statusCode, 409);
        assert.equal(res.json().detail, detail);
      }
      const runs = await s.svc.ctx.db.query(
        "SELECT 1 FROM recipe_runs r JOIN users u ON u.id = r.user_id WHERE u.name = 'bob' AND recipe_id = 'owned-recipe'",
      );
      assert.equal(runs.length, 0, 'a refused submission leaves no row');

      const byAdmin = await upload(admin, archive, '?overwrite=true');
      assert.equal(byAdmin.statusCode, 200, byAdmin.body);
      assert.deepEqual(await ownerOf('owned-recipe'), ['alice'], 'admin overwriting does not take the id over');
      await finish(byAdmin.json().recipe_workflow_name as string);
      const byOwner = await upload(alice, archive, '?overwrite=true');
      assert.equal(byOwner.statusCode, 200, byOwner.body);
    });

    it("never lets another user's run block a temporary-output submission", async () => {
      const pvc = await upload(alice, recipeArchive('Shared recipe'));
      assert.equal(pvc.statusCode, 200, pvc.body);
      // The same recipe with a temporary output: alice's unfinished pvc run blocks neither bob nor alice.
      const temporary = recipeArchive('Shared recipe', 'temporary');
      const results = await Promise.all([
        upload(bob, temporary),
        upload(bob, temporary),
        upload(alice, temporary),
        upload(carol, temporary),
      ]);
      assert.deepEqual(
        results.map((r) => r.statusCode),
        [200, 200, 200, 200],
        results.map((r) => r.body).join('\n'),
      );
      assert.deepEqual(await ownerOf('shared-recipe'), ['alice'], 'temporary outputs claim nothing');
    });

    it('gives racing first claims of one id by different users exactly one owner', async () => {
      const archive = recipeArchive('Claimed recipe');
      const tokens = [bob, carol, bob, carol, bob, carol];
      const results = await Promise.all(tokens.map((t) => upload(t, archive)));
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409, 409], results.map((r) => r.body).join('\n'));
      const winner = tokens[results.findIndex((r) => r.statusCode === 200)] === bob ? 'bob' : 'carol';
      assert.deepEqual(await ownerOf('claimed-recipe'), [winner]);
      const rows = await s.svc.ctx.db.query("SELECT 1 FROM recipe_runs WHERE recipe_id = 'claimed-recipe'");
      assert.equal(rows.length, 1);
    });
  });
}
