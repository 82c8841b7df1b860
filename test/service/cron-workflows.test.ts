import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { jsonCaller, startTestService, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/poll.ts';
import { createEngine } from '../../src/engine/create.ts';
import { latestRunBetween, nextRun } from '../../src/service/cron/schedule.ts';
import { startCronScheduler } from '../../src/service/cron/scheduler.ts';
import { listCrons, saveStatus } from '../../src/service/cron/repository.ts';

describe('CronWorkflow schedules', () => {
  it('computes the next run in a time zone, across a daylight-saving change', () => {
    // New York moves to UTC-4 on 2026-03-08: 09:00 local is 14:00Z before, 13:00Z after.
    assert.equal(nextRun(['0 9 * * *'], 'America/New_York', new Date('2026-03-07T15:00:00Z'))?.toISOString(), '2026-03-08T13:00:00.000Z');
    assert.equal(nextRun(['0 9 * * *'], 'America/New_York', new Date('2026-03-06T15:00:00Z'))?.toISOString(), '2026-03-07T14:00:00.000Z');
    assert.equal(nextRun(['0 9 * * *'], undefined, new Date('2026-03-06T15:00:00Z'))?.toISOString(), '2026-03-07T09:00:00.000Z');
  });

  it('takes the earliest of several schedules, and the latest passed one', () => {
    const from = new Date('2026-01-05T10:00:30Z');
    assert.equal(nextRun(['*/3 * * * *', '*/2 * * * *'], undefined, from)?.toISOString(), '2026-01-05T10:02:00.000Z');
    assert.equal(nextRun(['*/3 * * * *', '1 * * * *'], undefined, from)?.toISOString(), '2026-01-05T10:01:00.000Z');
    const until = new Date('2026-01-05T10:07:10Z');
    assert.equal(latestRunBetween(['*/3 * * * *', '*/5 * * * *'], undefined, from, until)?.toISOString(), '2026-01-05T10:06:00.000Z');
    assert.equal(latestRunBetween(['0 * * * *'], undefined, from, until), undefined);
  });
});

const WAIT = { name: 'wait', suspend: {} };

function cron(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: { name },
    spec: { schedule: '* * * * *', workflowSpec: { entrypoint: 'wait', templates: [WAIT] }, ...spec },
  };
}

for (const target of dbTargets()) {
  describe(`CronWorkflows in the service on ${target.name}`, () => {
    let svc: TestService;
    let alice: string;
    let bob: string;
    let admin: string;
    let t = new Date('2026-01-05T10:00:30Z');
    const advance = (seconds: number) => (t = new Date(t.getTime() + seconds * 1000));
    const call = jsonCaller(() => svc);
    const tick = () => svc.ctx.cron!.tick();
    const phaseOf = async (name: string) => (await svc.ctx.engine!.get(name)).status?.phase;
    const get = async (name: string) => (await call('GET', `/cron-workflows/${name}`, alice)).body;

    before(async () => {
      svc = await startTestService(target, {}, { createEngine, now: () => t });
      alice = await svc.userToken('alice');
      bob = await svc.userToken('bob');
      admin = await svc.adminToken();
    });
    after(async () => {
      await svc.stop();
    });

    it('creates from YAML, lists with the next run, and keeps users apart', async () => {
      const yaml = [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: CronWorkflow',
        'metadata: {name: nightly}',
        'spec:',
        '  schedules: ["0 2 * * *", "30 1 * * *"]',
        '  timezone: Europe/Paris',
        '  workflowSpec: {entrypoint: wait, templates: [{name: wait, suspend: {}}]}',
      ].join('\n');
      const created = await call('POST', '/cron-workflows', alice, yaml, 'application/yaml');
      assert.equal(created.status, 201, JSON.stringify(created.body));
      // 01:30 Paris (UTC+1 in January) is 00:30Z the next day.
      assert.equal(created.body.next_run, '2026-01-06T00:30:00Z');
      assert.deepEqual(created.body.schedules, ['0 2 * * *', '30 1 * * *']);
      assert.equal(created.body.owner, 'alice');
      const mine = await call('GET', '/cron-workflows', alice);
      assert.deepEqual(
        mine.body.items.map((c: { metadata: { name: string } }) => c.metadata.name),
        ['nightly'],
      );
      assert.deepEqual((await call('GET', '/cron-workflows', bob)).body.items, []);
      assert.equal((await call('GET', '/cron-workflows/nightly', bob)).status, 404);
      assert.equal((await call('DELETE', '/cron-workflows/nightly', bob)).status, 404);
      assert.equal((await call('POST', '/cron-workflows/nightly/suspend', bob)).status, 404);
      assert.equal((await call('GET', '/cron-workflows/nightly', admin)).status, 200);
      assert.equal((await call('POST', '/cron-workflows', bob, cron('nightly', {}))).status, 409);
      const suspended = await call('POST', '/cron-workflows/nightly/suspend', alice);
      assert.equal(suspended.body.suspended, true);
      assert.equal(suspended.body.next_run, null);
      assert.equal((await call('DELETE', '/cron-workflows/nightly', alice)).status, 200);
      assert.equal((await call('GET', '/cron-workflows/nightly', alice)).status, 404);
    });

    it('keeps a suspend made while a controller pass holds an older copy of the row', async () => {
      assert.equal((await call('POST', '/cron-workflows', alice, cron('stale', {}))).status, 201);
      const stale = (await listCrons(svc.ctx.db)).find((c) => c.name === 'stale')!;
      assert.equal(stale.suspended, false);
      assert.equal((await call('POST', '/cron-workflows/stale/suspend', alice)).body.suspended, true);
      await tick(); // the pass the suspend poked has ended: only the stale save below writes the row
      // The pass that read the row before the suspend now saves its status.
      await saveStatus(svc.ctx.db, { ...stale, succeeded: stale.succeeded + 1 });
      const after = await get('stale');
      assert.equal(after.suspended, true);
      assert.equal(after.status.succeeded, stale.succeeded + 1);
      assert.equal((await call('DELETE', '/cron-workflows/stale', alice)).status, 200);
    });

    it('refuses bad manifests with a 4xx naming the field', async () => {
      const cases: Array<[unknown, string]> = [
        [cron('bad-schedule', { schedule: '61 * * * *' }), 'schedule'],
        [cron('bad-seconds', { schedule: '0 * * * * *' }), 'schedule'],
        [cron('bad-zone', { timezone: 'Mars/Olympus' }), 'timezone'],
        [cron('bad-policy', { concurrencyPolicy: 'Sometimes' }), 'concurrencyPolicy'],
        [cron('bad-deadline', { startingDeadlineSeconds: -1 }), 'startingDeadlineSeconds'],
        [cron('bad-field', { schedul: '* * * * *' }), 'schedul'],
        [cron('bad-spec', { workflowSpec: { entrypoint: 'wait', templates: 'wait' } }), 'templates'],
        [cron('Bad_Name', {}), 'name'],
        [{ ...cron('no-kind', {}), kind: 'Workflow' }, 'kind'],
        [cron('no-schedule', { schedule: undefined }), 'schedules'],
      ];
      for (const [body, field] of cases) {
        const res = await call('POST', '/cron-workflows', alice, body);
        assert.equal(res.status, 422, `${field}: ${JSON.stringify(res.body)}`);
        const locs = (res.body.detail as Array<{ loc: string[] }>).flatMap((d) => d.loc);
        assert.ok(locs.includes(field), `${field} not named in ${JSON.stringify(res.body)}`);
      }
      // The local engine's admission: a feature it refuses is refused at create, naming the field.
      const resource = cron('needs-cluster', {
        workflowSpec: { entrypoint: 'r', templates: [{ name: 'r', resource: { action: 'create', manifest: 'kind: ConfigMap' } }] },
      });
      const refused = await call('POST', '/cron-workflows', alice, resource);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.match(JSON.stringify(refused.body), /resource/);
      // The shared volume is written only through recipes a user may publish: no claims in a user's spec.
      const claim = cron('claims', {
        workflowSpec: { entrypoint: 'wait', templates: [WAIT], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'shared' } }] },
      });
      const claimed = await call('POST', '/cron-workflows', alice, claim);
      assert.equal(claimed.status, 422, JSON.stringify(claimed.body));
      assert.ok(claimed.body.detail[0].loc.includes('persistentVolumeClaim'));
      const badYaml = await call('POST', '/cron-workflows', alice, 'kind: [CronWorkflow', 'application/yaml');
      assert.equal(badYaml.status, 422);
      assert.equal((await call('GET', '/cron-workflows', alice)).body.items.length, 0);
    });

    it('creates runs named and labelled as Argo does; Forbid skips while one is active', async () => {
      assert.equal((await call('POST', '/cron-workflows', alice, cron('forbid', { concurrencyPolicy: 'Forbid' }))).status, 201);
      await tick();
      assert.deepEqual((await get('forbid')).status.active, [], 'nothing before the first schedule time');
      advance(60); // 10:01:30: the 10:01 run
      await tick();
      const first = `forbid-${Date.parse('2026-01-05T10:01:00Z') / 1000}`;
      let view = await get('forbid');
      assert.deepEqual(view.active_runs, [first]);
      assert.equal(view.status.lastScheduledTime, '2026-01-05T10:01:00Z');
      const wf = await svc.ctx.engine!.get(first);
      assert.equal(wf.metadata.labels?.['workflows.argoproj.io/cron-workflow'], 'forbid');
      assert.equal(wf.metadata.annotations?.['workflows.argoproj.io/scheduled-time'], '2026-01-05T10:01:00Z');
      advance(60);
      await tick();
      assert.deepEqual((await get('forbid')).active_runs, [first], 'Forbid: no second run while the first is active');
      // The run is the owner's like a recipe run; another user does not see it.
      const runs = await call('GET', '/runs', alice);
      assert.ok(
        runs.body.runs.some((r: { recipe_workflow_name: string }) => r.recipe_workflow_name === first),
        JSON.stringify(runs.body),
      );
      assert.ok(
        !(await call('GET', '/runs', bob)).body.runs.some((r: { recipe_workflow_name: string }) => r.recipe_workflow_name === first),
      );
      await svc.ctx.engine!.resume(first);
      await eventually(
        'the first run to succeed',
        () => phaseOf(first),
        (p) => p === 'Succeeded',
        30_000,
      );
      advance(60);
      await tick();
      view = await get('forbid');
      assert.equal(view.status.succeeded, 1);
      assert.equal(view.active_runs.length, 1);
      assert.notEqual(view.active_runs[0], first);
      await call('DELETE', '/cron-workflows/forbid', alice);
    });

    it('Replace stops the active run; history limits delete the oldest finished runs', async () => {
      const spec = { concurrencyPolicy: 'Replace', failedJobsHistoryLimit: 1 };
      assert.equal((await call('POST', '/cron-workflows', alice, cron('replace', spec))).status, 201);
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        advance(60);
        await tick();
        const active = (await get('replace')).active_runs as string[];
        // The new run, and the replaced one until the controller sees it has ended.
        assert.equal(active.length, i === 0 ? 1 : 2, JSON.stringify(active));
        names.push(active[active.length - 1]!);
        if (i > 0) {
          await eventually(
            'the replaced run to fail',
            () => phaseOf(names[i - 1]!),
            (p) => p === 'Failed',
            30_000,
          );
          await tick();
          assert.deepEqual((await get('replace')).active_runs, [names[i]]);
        }
      }
      await tick(); // counts the two failed runs and keeps only the newest
      const view = await get('replace');
      assert.equal(view.status.failed, 2);
      await assert.rejects(svc.ctx.engine!.get(names[0]!), /not found/i);
      assert.equal(await phaseOf(names[1]!), 'Failed');
      await call('DELETE', '/cron-workflows/replace', alice);
    });

    it('after a restart, runs a missed schedule only within startingDeadlineSeconds', async () => {
      for (const [name, deadline] of [
        ['late-ok', 120],
        ['late-no', 20],
      ] as const) {
        assert.equal((await call('POST', '/cron-workflows', alice, cron(name, { startingDeadlineSeconds: deadline }))).status, 201);
      }
      advance(60);
      await tick();
      const before = await get('late-ok');
      const last = before.status.lastScheduledTime as string;
      assert.ok(last);
      for (const name of [before.active_runs[0], (await get('late-no')).active_runs[0]]) await svc.ctx.engine!.resume(name);
      // The service is down for three minutes: a new controller starts 50 s after the last missed time.
      advance(180 + 20);
      const restarted = await startCronScheduler({ db: svc.ctx.db, engine: svc.ctx.engine!, now: () => t });
      try {
        await restarted.tick();
      } finally {
        await restarted.close();
      }
      const missed = new Date(Date.parse(last) + 180_000).toISOString().replace('.000', '');
      assert.equal((await get('late-ok')).status.lastScheduledTime, missed);
      assert.equal((await get('late-no')).status.lastScheduledTime, last, 'outside its deadline: skipped');
      for (const name of ['late-ok', 'late-no']) await call('DELETE', `/cron-workflows/${name}`, alice);
    });

    it('when false and suspend skip runs; stopStrategy stops scheduling', async () => {
      const when = cron('guarded', { when: '{{= cronworkflow.succeeded > 5 }}' });
      assert.equal((await call('POST', '/cron-workflows', alice, when)).status, 201);
      const stop = cron('stopper', { stopStrategy: { expression: 'cronworkflow.failed >= 1' } });
      assert.equal((await call('POST', '/cron-workflows', alice, stop)).status, 201);
      const paused = cron('paused', { suspend: true });
      assert.equal((await call('POST', '/cron-workflows', alice, paused)).status, 201);
      advance(60);
      await tick();
      assert.deepEqual((await get('guarded')).active_runs, []);
      assert.deepEqual((await get('paused')).active_runs, []);
      const [run] = (await get('stopper')).active_runs as string[];
      await svc.ctx.engine!.stop(run!);
      await eventually(
        'the run to fail',
        () => phaseOf(run!),
        (p) => p === 'Failed',
        30_000,
      );
      advance(60);
      await tick();
      const stopped = await get('stopper');
      assert.equal(stopped.status.phase, 'Stopped');
      assert.deepEqual(stopped.active_runs, []);
      assert.equal(stopped.next_run, null);
      for (const name of ['guarded', 'stopper', 'paused']) await call('DELETE', `/cron-workflows/${name}`, alice);
    });

    it("when reads now() from the controller's clock and lastScheduledTime as a time", async () => {
      // Argo's documented guard: at most one run in any 3 minutes, whatever the schedule.
      const when = '{{= cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() >= 180 }}';
      assert.equal((await call('POST', '/cron-workflows', alice, cron('spaced', { when }))).status, 201);
      const scheduled: string[] = [];
      for (let i = 0; i < 6; i++) {
        advance(60);
        await tick();
        scheduled.push((await get('spaced')).status.lastScheduledTime);
      }
      const distinct = [...new Set(scheduled)];
      assert.equal(distinct.length, 2, JSON.stringify(scheduled));
      assert.equal((Date.parse(distinct[1]!) - Date.parse(distinct[0]!)) / 1000, 180);
      assert.equal(
        (await get('spaced')).status.conditions.find((c: { type: string }) => c.type === 'SpecError'),
        undefined,
      );
      for (const run of (await get('spaced')).active_runs as string[]) await svc.ctx.engine!.stop(run);
      await call('DELETE', '/cron-workflows/spaced', alice);
    });
  });
}

describe('CronWorkflows without the local engine', () => {
  it('answer 501 naming the engine, and still require a token', async () => {
    const svc = await startTestService(dbTargets()[0]!);
    try {
      const alice = await svc.userToken('alice');
      assert.equal((await svc.app.inject({ url: '/cron-workflows' })).statusCode, 401);
      const res = await svc.app.inject({ url: '/cron-workflows', headers: { authorization: `Bearer ${alice}` } });
      assert.equal(res.statusCode, 501);
      assert.match((res.json() as { detail: string }).detail, /local engine only; this service uses no engine/);
    } finally {
      await svc.stop();
    }
  });
});
