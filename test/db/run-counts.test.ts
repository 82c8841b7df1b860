/** /runs totals come from per-user counts that triggers keep (migration 006), on each real database. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../src/db/types.ts';
import { listRuns, reserveRun } from '../../src/service/runs/repository.ts';
import { insertUser } from '../../src/service/users/repository.ts';
import { dbTargets } from '../helpers/db.ts';

for (const target of dbTargets()) {
  describe(`run counts on ${target.name}`, () => {
    let db: Db;
    before(async () => {
      db = await target.open();
    });
    after(() => db.close());

    it('follow inserts, deletes and a deleted user, for each user and for admin', async () => {
      const a = await insertUser(db, { name: 'count-a', passwordHash: 'x' });
      const b = await insertUser(db, { name: 'count-b', passwordHash: 'x' });
      const add = (userId: number, i: number) =>
        reserveRun(db, {
          userId,
          recipePath: 'p',
          recipeId: `count-${userId}-${i}`,
          recipeName: 'n',
          engine: 'argo',
          outputType: 'temp',
          overwrite: false,
        });
      for (let i = 0; i < 3; i++) await add(a.id, i);
      const last = await add(b.id, 0);
      await add(b.id, 1);
      const total = async (viewer: { id: number; isAdmin: boolean }) => (await listRuns(db, viewer, { limit: 1, offset: 0 })).total;
      const all = async () => total({ id: 0, isAdmin: true });
      const before = await all();
      assert.equal(await total({ id: a.id, isAdmin: false }), 3);
      assert.equal(await total({ id: b.id, isAdmin: false }), 2);
      await db.query('DELETE FROM recipe_runs WHERE id = $1', [last]);
      assert.equal(await total({ id: b.id, isAdmin: false }), 1);
      assert.equal(await all(), before - 1);
      await db.query('DELETE FROM users WHERE id = $1', [a.id]);
      assert.equal(await all(), before - 4);
      const n = (await db.query<{ n: string | number }>('SELECT count(*) AS n FROM recipe_runs'))[0]!.n;
      assert.equal(await all(), Number(n));
    });
  });
}
