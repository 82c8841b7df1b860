import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { form, TEST_ADMIN_PASSWORD } from '../helpers/service.ts';
import { pgClusterSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { bearer, recipeArchive, startArgoBackedService, type ArgoBackedService } from './setup.ts';
import { eventually } from '../helpers/poll.ts';

const skip = pgClusterSkipReason();

describe('PostgreSQL outage (a cluster of this test’s own)', { skip: skip && `skipped: ${skip}` }, () => {
  let cluster: PgCluster;
  let s: ArgoBackedService;
  before(async () => {
    cluster = await startPgCluster();
    // An Argo stand-in as the engine, so readiness depends on the database alone.
    s = await startArgoBackedService(dbTargets()[0]!, {}, { dbConfig: cluster.config });
  });
  after(async () => {
    await s?.stop();
    await cluster?.destroy();
  });

  const ready = () => s.svc.app.inject({ url: '/health/ready' });
  const login = () => s.svc.app.inject({ method: 'POST', url: '/token', ...form({ username: 'admin', password: TEST_ADMIN_PASSWORD }) });

  it('answers 503 while the database is down and 200 again once it is back, without a restart', async () => {
    assert.equal((await ready()).statusCode, 200);
    // A token whose user is not in the service's user cache, so /user must ask the database.
    const token = await s.svc.token('admin', TEST_ADMIN_PASSWORD);
    await s.svc.userToken('uncached');
    const uncached = await s.svc.token('uncached', 'uncached-password');

    await cluster.stop();
    try {
      const r = await ready();
      assert.equal(r.statusCode, 503);
      assert.equal(r.json().status, 'unavailable');
      assert.equal(r.json().engine, 'ok');
      assert.match(r.json().database, /unreachable/);

      const t = await login();
      assert.equal(t.statusCode, 503);
      assert.deepEqual(t.json(), { detail: 'The database is unavailable; try again shortly.' });

      const u = await s.svc.app.inject({ url: '/user', headers: bearer(uncached) });
      assert.equal(u.statusCode, 503);
      assert.deepEqual(u.json(), { detail: 'The database is unavailable; try again shortly.' });

      const runs = await s.svc.app.inject({ url: '/runs', headers: bearer(token) });
      assert.equal(runs.statusCode, 503);
    } finally {
      await cluster.start();
    }

    assert.equal((await ready()).statusCode, 200);
    assert.equal((await login()).statusCode, 200);
    const me = await s.svc.app.inject({ url: '/user', headers: bearer(uncached) });
    assert.equal(me.json().current_user, 'uncached');
    assert.equal((await s.svc.app.inject({ url: '/runs', headers: bearer(token) })).statusCode, 200);

    // The lease came back on a new session and the follower writes Argo's changes again.
    const submitted = await s.svc.app.inject({
      method: 'POST',
      url: '/submit',
      headers: bearer(token, { 'content-type': 'application/gzip' }),
      payload: recipeArchive('After the outage'),
    });
    assert.equal(submitted.statusCode, 200, submitted.body);
    const name = submitted.json().recipe_workflow_name as string;
    s.argo.setStatus(name, { phase: 'Succeeded', progress: '3/3', finishedAt: '2026-01-01T00:01:00Z' });
    await eventually(
      'Succeeded after the restart',
      async () => (await s.svc.app.inject({ url: `/status/${name}`, headers: bearer(token) })).json().status,
      (status) => status === 'Succeeded',
      15_000,
    );
    await eventually(
      'one watch stream',
      () => s.argo.watch.open,
      (n) => n === 1,
    );
  });
});

describe('PGlite outage', () => {
  it(
    'has nothing to stop: the embedded database lives in the service process',
    { skip: 'PGlite runs inside the service; there is no server to lose' },
    () => {},
  );
});
