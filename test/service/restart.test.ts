import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, form } from '../helpers/service.ts';

for (const target of dbTargets()) {
  describe(`restart on ${target.name}`, () => {
    it('keeps users and issued tokens valid across a service restart', async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-restart-'));
      const dbConfig = await target.freshConfig(path.join(dataDir, 'db'));
      try {
        const first = await startTestService(target, {}, { dataDir, dbConfig });
        const token = await first.userToken('persistent', 'persistent-pw');
        await first.stop();

        const second = await startTestService(target, {}, { dataDir, dbConfig });
        try {
          const me = await second.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
          assert.equal(me.json().current_user, 'persistent');
          const login = await second.app.inject({
            method: 'POST',
            url: '/token',
            ...form({ username: 'persistent', password: 'persistent-pw' }),
          });
          assert.equal(login.statusCode, 200);
          const admins = await second.ctx.db.query<{ n: string | number }>("SELECT count(*) AS n FROM users WHERE name = 'admin'");
          assert.equal(Number(admins[0]!.n), 1);
        } finally {
          await second.stop();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}
