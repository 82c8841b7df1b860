/**
 * The one write of a run's status (service/runs/refresh.ts over updateRunStatus), on each real database: it answers
 * the row as the table then holds it, tells listeners only of a change they show, and leaves a row alone when the
 * engine says nothing new.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../src/db/types.ts';
import { createRunChanges, type RunChange } from '../../src/service/runs/changes.ts';
import { recordRunStatus } from '../../src/service/runs/refresh.ts';
import { findRunByWorkflowName, markSubmitted, reserveRun } from '../../src/service/runs/repository.ts';
import { insertUser } from '../../src/service/users/repository.ts';
import { dbTargets } from '../helpers/db.ts';

for (const target of dbTargets()) {
  describe(`run status writes on ${target.name}`, () => {
    let db: Db;
    let userId: number;
    const published: RunChange[] = [];
    const runChanges = createRunChanges();
    runChanges.subscribe((c) => published.push(c));
    const ctx = () => ({ db, runChanges });
    before(async () => {
      db = await target.open();
      userId = (await insertUser(db, { name: 'writer', passwordHash: 'x' })).id;
      const id = await reserveRun(db, {
        userId,
        recipePath: 'p',
        recipeId: 'status-recipe',
        recipeName: 'Status recipe',
        engine: 'argo',
        outputType: 'temporary',
        overwrite: false,
      });
      await markSubmitted(db, id, 'wf-status', 'Pending');
    });
    after(() => db.close());

    const status = (phase: string, extra: Partial<Parameters<typeof recordRunStatus>[2]> = {}) => ({
      phase,
      progress: '0/2',
      message: null,
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: null,
      ...extra,
    });

    it('answers the written row, the same the table holds, and tells listeners once', async () => {
      const written = await recordRunStatus(ctx(), 'wf-status', status('Running', { resourceVersion: '7' }));
      assert.deepEqual(written, await findRunByWorkflowName(db, 'wf-status'));
      assert.equal(written?.phase, 'Running');
      assert.equal(written?.username, 'writer');
      assert.equal(written?.resourceVersion, '7');
      assert.deepEqual(written?.startedAt, new Date('2026-01-01T00:00:00Z'));
      assert.deepEqual(
        published.map((c) => [c.workflowName, c.userId, c.phase, c.progress]),
        [['wf-status', userId, 'Running', '0/2']],
      );
    });

    it('answers the unchanged row when the engine says nothing new, and tells no one', async () => {
      published.length = 0;
      const before = await findRunByWorkflowName(db, 'wf-status');
      assert.deepEqual(await recordRunStatus(ctx(), 'wf-status', status('Running', { resourceVersion: '7' })), before);
      // Only a new version (node details changed): written, nothing a listener shows changed.
      const moved = await recordRunStatus(ctx(), 'wf-status', status('Running', { resourceVersion: '8' }));
      assert.equal(moved?.resourceVersion, '8');
      assert.deepEqual(published, []);
    });

    it('a finished phase sets finished_at from the engine and keeps the first started_at', async () => {
      const done = await recordRunStatus(
        ctx(),
        'wf-status',
        status('Succeeded', { progress: '2/2', startedAt: '2026-01-01T00:00:05Z', finishedAt: '2026-01-01T00:01:00Z' }),
      );
      assert.equal(done?.phase, 'Succeeded');
      assert.deepEqual(done?.startedAt, new Date('2026-01-01T00:00:00Z'));
      assert.deepEqual(done?.finishedAt, new Date('2026-01-01T00:01:00Z'));
      assert.deepEqual(done, await findRunByWorkflowName(db, 'wf-status'));
      assert.equal(published.at(-1)?.phase, 'Succeeded');
    });

    it('answers undefined for a workflow no run has, writing nothing', async () => {
      published.length = 0;
      assert.equal(await recordRunStatus(ctx(), 'wf-unknown', status('Running')), undefined);
      assert.deepEqual(published, []);
    });
  });
}
