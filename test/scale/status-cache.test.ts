/**
 * The status cache behind `/status`, on each real database: a run change is answered at once,
 * a write nobody announced within the cache's lifetime, a new run at once, and another user's
 * run never.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../src/db/types.ts';
import { createRunChanges } from '../../src/service/runs/changes.ts';
import { recordRunStatus } from '../../src/service/runs/refresh.ts';
import { markSubmitted, reserveRun } from '../../src/service/runs/repository.ts';
import { createStatusCache } from '../../src/service/runs/status-cache.ts';
import { insertUser } from '../../src/service/users/repository.ts';
import { dbTargets } from '../helpers/db.ts';
import { eventually } from '../helpers/poll.ts';

for (const target of dbTargets()) {
  describe(`the status cache on ${target.name}`, () => {
    let db: Db;
    let owner: { id: number; isAdmin: boolean };
    let other: { id: number; isAdmin: boolean };
    const runChanges = createRunChanges();
    before(async () => {
      db = await target.open();
      owner = { id: (await insertUser(db, { name: 'owner', passwordHash: 'x' })).id, isAdmin: false };
      other = { id: (await insertUser(db, { name: 'other', passwordHash: 'x' })).id, isAdmin: false };
    });
    after(() => db.close());

    const run = async (name: string) => {
      const id = await reserveRun(db, {
        userId: owner.id,
        recipePath: 'p',
        recipeId: name,
        recipeName: name,
        engine: 'argo',
        outputType: 'temp',
        overwrite: false,
      });
      await markSubmitted(db, id, name, 'Pending');
    };
    const status = (phase: string) => ({ phase, progress: null, message: null, startedAt: null, finishedAt: null });

    it('answers a recorded change at once, and a write nobody announced within its lifetime', async () => {
      const cache = createStatusCache(db, runChanges, 300);
      try {
        assert.equal(await cache.get('wf-a', owner), undefined, 'no run yet');
        await run('wf-a');
        // A miss is never kept: the run submitted a moment ago is there.
        assert.equal((await cache.get('wf-a', owner))?.phase, 'Pending');
        await recordRunStatus({ db, runChanges }, 'wf-a', status('Running'));
        assert.equal((await cache.get('wf-a', owner))?.phase, 'Running');
        // Another replica's write whose notification was lost: the entry expires.
        await db.query(`UPDATE recipe_runs SET phase = 'Succeeded', finished_at = now() WHERE workflow_name = 'wf-a'`);
        await eventually(
          'the unannounced write',
          async () => (await cache.get('wf-a', owner))?.phase,
          (p) => p === 'Succeeded',
          5000,
        );
      } finally {
        cache.close();
      }
    });

    it("never answers another user's run, and answers an admin", async () => {
      const cache = createStatusCache(db, runChanges);
      try {
        await run('wf-b');
        assert.equal((await cache.get('wf-b', owner))?.phase, 'Pending');
        assert.equal(await cache.get('wf-b', other), undefined);
        assert.equal((await cache.get('wf-b', { id: 999_999, isAdmin: true }))?.userId, owner.id);
      } finally {
        cache.close();
      }
    });
  });
}
