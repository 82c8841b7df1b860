import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';
import { serveFiles, writeRecipe } from '../helpers/recipes.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';

for (const target of dbTargets()) {
  describe(`service shutdown with a running recipe (${target.name})`, () => {
    it('stops the local engine and records the run as ended, so a restart shows no run in progress', { timeout: 120_000 }, async () => {
      const files = await serveFiles({ 'a.txt': 'a\n' });
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-shutdown-runs-'));
      const dbConfig = await target.freshConfig(path.join(dataDir, 'db'));
      try {
        const first = await startTestService(target, { OGDC_ALLOW_PRIVATE_SOURCES: 'true' }, { dataDir, dbConfig, createEngine });
        const token = await first.userToken('dora');
        const dir = await writeRecipe({ name: `Long ${target.name}`, inputs: [`${files.url}/a.txt`], steps: ['sleep 60'] });
        const res = await first.app.inject({
          method: 'POST',
          url: '/submit',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
          payload: await packRecipe(dir),
        });
        assert.equal(res.statusCode, 200, res.body);
        const name = res.json().recipe_workflow_name as string;
        for (let i = 0; i < 200; i++) {
          const run = (await first.app.inject({ url: `/runs/${name}`, headers: { authorization: `Bearer ${token}` } })).json();
          if (run.nodes.some((n: { display_name: string; phase: string }) => n.display_name.startsWith('step') && n.phase === 'Running'))
            break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await first.stop();

        const second = await startTestService(target, { OGDC_ALLOW_PRIVATE_SOURCES: 'true' }, { dataDir, dbConfig });
        try {
          const rows = await second.ctx.db.query<{ phase: string; message: string | null; finished_at: Date | null }>(
            'SELECT phase, message, finished_at FROM recipe_runs WHERE workflow_name = $1',
            [name],
          );
          assert.equal(rows[0]!.phase, 'Error');
          assert.match(rows[0]!.message ?? '', /interrupted|stopped/i);
          assert.ok(rows[0]!.finished_at);
        } finally {
          await second.stop();
        }
      } finally {
        await files.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}
