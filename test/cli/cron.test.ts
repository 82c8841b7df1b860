import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { runCli } from '../helpers/cli.ts';
import { createEngine } from '../../src/engine/create.ts';

describe('ogdc-runner cron', () => {
  let svc: TestService;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!, {}, { createEngine, now: () => new Date('2026-01-05T10:00:30Z') });
    await svc.userToken('dana', 'dana-password');
    const url = await svc.app.listen({ host: '127.0.0.1', port: 0 });
    home = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cron-cli-'));
    env = { OGDC_API_URL: url, OGDC_API_USERNAME: 'dana', OGDC_API_PASSWORD: 'dana-password', HOME: home, XDG_CONFIG_HOME: home };
  });
  after(async () => {
    await svc.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('creates from a file, lists with the next run, suspends and deletes', async () => {
    const file = path.join(home, 'cron.yaml');
    await writeFile(
      file,
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: CronWorkflow',
        'metadata: {name: hourly}',
        'spec:',
        '  schedule: "15 * * * *"',
        '  timezone: Asia/Kolkata',
        '  workflowSpec: {entrypoint: wait, templates: [{name: wait, suspend: {}}]}',
      ].join('\n'),
    );
    const created = await runCli(['cron', 'create', file], env);
    // Kolkata is UTC+5:30: minute 15 there is minute 45 in UTC.
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /CronWorkflow hourly created; next run 2026-01-05T10:45:00Z/);
    const list = await runCli(['cron', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^hourly\s+dana\s+15 \* \* \* \*\s+Asia\/Kolkata\s+no\s+2026-01-05T10:45:00Z/m);
    assert.equal((await runCli(['cron', 'suspend', 'hourly'], env)).code, 0);
    assert.match((await runCli(['cron', 'list'], env)).stdout, /^hourly\s+dana\s+.*\s+yes\s+-/m);
    await writeFile(file, 'kind: CronWorkflow\nmetadata: {name: broken}\nspec: {schedule: "* * *", workflowSpec: {}}\n');
    const bad = await runCli(['cron', 'create', file], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /schedule/);
    assert.equal((await runCli(['cron', 'delete', 'hourly'], env)).code, 0);
    assert.doesNotMatch((await runCli(['cron', 'list'], env)).stdout, /hourly/);
  });
});
