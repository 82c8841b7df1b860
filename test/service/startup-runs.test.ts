import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';
import { createEngine } from '../../src/engine/create.ts';
import type { Workflow } from '../../src/engine/types.ts';

const ECHO: Workflow = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { generateName: 'startup-echo-' },
  spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['sh', '-c', 'echo done'] } }] },
};

const unfinishedRun = (recipeId: string, workflowName: string) => [
  `INSERT INTO recipe_runs (user_id, recipe_path, recipe_id, recipe_name, workflow_name, engine, output_type, phase, submitted_at)
   SELECT id, '/r', $1, $1, $2, 'local', 'temporary', 'Running', now() - interval '5 minutes' FROM users WHERE name = 'admin'`,
  [recipeId, workflowName],
];

for (const target of dbTargets()) {
  describe(`runs at startup with the local engine (${target.name})`, () => {
    it(
      'records what the engine says of runs left unfinished before the first request: finished, or gone',
      { timeout: 120_000 },
      async () => {
        const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-startup-runs-'));
        const dbConfig = await target.freshConfig(path.join(dataDir, 'db'));
        try {
          const first = await startTestService(target, {}, { dataDir, dbConfig, createEngine });
          const engine = first.ctx.engine!;
          const name = (await engine.submit(ECHO)).metadata.name!;
          for (let i = 0; (await engine.get(name)).status?.phase !== 'Succeeded'; i++) {
            assert.ok(i < 1200, `${name} never succeeded`);
            await new Promise((r) => setTimeout(r, 50));
          }
          await first.stop();
          // Rows a crash left behind: the run of a workflow that has since finished, and one whose workflow is gone.
          const second = await startTestService(target, {}, { dataDir, dbConfig });
          await second.ctx.db.query(...(unfinishedRun('finished-while-away', name) as [string, unknown[]]));
          await second.ctx.db.query(...(unfinishedRun('gone-while-away', 'startup-gone-abcde') as [string, unknown[]]));
          await second.stop();

          const third = await startTestService(target, {}, { dataDir, dbConfig, createEngine });
          try {
            const rows = await third.ctx.db.query<{ recipe_id: string; phase: string; message: string | null; finished_at: Date | null }>(
              "SELECT recipe_id, phase, message, finished_at FROM recipe_runs WHERE recipe_id LIKE '%-while-away' ORDER BY recipe_id",
            );
            assert.deepEqual(
              rows.map((r) => [r.recipe_id, r.phase, r.message, r.finished_at !== null]),
              [
                ['finished-while-away', 'Succeeded', null, true],
                ['gone-while-away', 'Error', 'the workflow no longer exists on the engine', true],
              ],
            );
          } finally {
            await third.stop();
          }
        } finally {
          await rm(dataDir, { recursive: true, force: true });
        }
      },
    );
  });
}
