import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets, bearer, recipeArchive, startArgoBackedService, type ArgoBackedService } from './setup.ts';
import { eventually } from '../helpers/poll.ts';

for (const target of dbTargets()) {
  describe(`races on ${target.name}`, () => {
    let s: ArgoBackedService;
    let alice: string;
    let bob: string;
    before(async () => {
      s = await startArgoBackedService(target);
      alice = await s.svc.userToken('alice');
      bob = await s.svc.userToken('bob');
    });
    after(() => s.stop());

    const upload = (token: string, archive: Buffer, query = '') =>
      s.svc.app.inject({
        method: 'POST',
        url: `/submit${query}`,
        headers: bearer(token, { 'content-type': 'application/gzip' }),
        payload: archive,
      });
    const runsOf = async (recipeId: string) =>
      s.svc.ctx.db.query<{ workflow_name: string | null; phase: string | null; finished_at: unknown }>(
        'SELECT workflow_name, phase, finished_at FROM recipe_runs WHERE recipe_id = $1 ORDER BY id',
        [recipeId],
      );

    it('gives concurrent submissions of one recipe exactly one winner; the others get 409 and leave no row', async () => {
      const archive = recipeArchive('Race recipe');
      const tokens = [alice, bob, alice, bob, alice, bob];
      const results = await Promise.all(tokens.map((t) => upload(t, archive)));
      const codes = results.map((r) => r.statusCode).sort();
      assert.deepEqual(codes, [200, 409, 409, 409, 409, 409], results.map((r) => r.body).join('\n'));
      const winnerIndex = results.findIndex((r) => r.statusCode === 200);
      const owner = tokens[winnerIndex]!;
      const other = owner === alice ? bob : alice;
      // The winner's user claimed the id: the same user's losers wait for the run, the other user's are refused outright.
      results.forEach((r, i) => {
        if (r.statusCode !== 409) return;
        const expected =
          tokens[i] === owner
            ? 'A run of recipe race-recipe is still in progress; wait for it to finish or cancel it.'
            : 'Recipe race-recipe was published by another user; only that user or an admin can publish it. Choose another recipe name.';
        assert.equal(r.json().detail, expected);
      });
      const winner = results[winnerIndex]!.json().recipe_workflow_name as string;
      const rows = await runsOf('race-recipe');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.workflow_name, winner);
      assert.deepEqual(
        [...s.argo.workflows.keys()].filter((n) => n.startsWith('race-recipe-')),
        [winner],
      );
      const owners = await s.svc.ctx.db.query('SELECT 1 FROM recipe_owners WHERE recipe_id = $1', ['race-recipe']);
      assert.equal(owners.length, 1);

      // Once it has finished and published, an overwrite race again has one winner.
      s.argo.setStatus(winner, { phase: 'Succeeded', progress: '3/3', finishedAt: '2026-01-01T00:00:00Z' });
      const admin = await s.svc.adminToken();
      // /status follows Argo's watch stream: the finished phase arrives within a bounded time, not at once.
      await eventually(
        'Succeeded on /status',
        async () => (await s.svc.app.inject({ url: `/status/${winner}`, headers: bearer(admin) })).json().status,
        (status) => status === 'Succeeded',
      );
      const published = await upload(owner, archive);
      assert.equal(published.statusCode, 409);
      assert.match(published.json().detail, /already been published/);
      const refused = await upload(other, archive, '?overwrite=true');
      assert.equal(refused.statusCode, 409);
      assert.match(refused.json().detail, /published by another user/);
      const again = await Promise.all([owner, owner, owner, owner].map((t) => upload(t, archive, '?overwrite=true')));
      assert.deepEqual(again.map((r) => r.statusCode).sort(), [200, 409, 409, 409]);
      assert.equal((await runsOf('race-recipe')).length, 2);
    });

    it('lets concurrent submissions of different recipes all through', async () => {
      const results = await Promise.all([1, 2, 3, 4].map((i) => upload(alice, recipeArchive(`Parallel recipe ${i}`))));
      assert.deepEqual(
        results.map((r) => r.statusCode),
        [200, 200, 200, 200],
        results.map((r) => r.body).join('\n'),
      );
      assert.equal(new Set(results.map((r) => r.json().recipe_workflow_name)).size, 4);
    });

    it('answers concurrent status reads consistently while the workflow moves on, writing no extra rows', async () => {
      const res = await upload(alice, recipeArchive('Status race'));
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name as string;
      const read = () => s.svc.app.inject({ url: `/status/${name}`, headers: bearer(alice) });
      const first = await Promise.all(Array.from({ length: 20 }, read));
      assert.deepEqual(new Set(first.map((r) => `${r.statusCode} ${r.json().status}`)), new Set(['200 Pending']));

      const during = Array.from({ length: 20 }, read);
      s.argo.setStatus(name, { phase: 'Running', progress: '1/3', startedAt: '2026-01-01T00:00:00Z' });
      const mixed = await Promise.all(during);
      for (const r of mixed) {
        assert.equal(r.statusCode, 200);
        assert.ok(['Pending', 'Running'].includes(r.json().status), r.body);
      }
      // Once a read has shown Running, no later read goes back to Pending.
      await eventually(
        'Running on /status',
        async () => (await read()).json().status,
        (status) => status === 'Running',
      );
      const after = await Promise.all(Array.from({ length: 20 }, read));
      assert.deepEqual(new Set(after.map((r) => `${r.statusCode} ${r.json().status}`)), new Set(['200 Running']));

      s.argo.setStatus(name, { phase: 'Failed', progress: '1/3', message: 'step failed', finishedAt: '2026-01-01T00:01:00Z' });
      await eventually(
        'Failed on /status',
        async () => (await read()).json().status,
        (status) => status === 'Failed',
      );
      const last = await Promise.all(Array.from({ length: 20 }, read));
      assert.deepEqual(new Set(last.map((r) => r.json().status)), new Set(['Failed']));
      const rows = await runsOf('status-race');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.phase, 'Failed');
      assert.notEqual(rows[0]!.finished_at, null);
    });
  });
}
