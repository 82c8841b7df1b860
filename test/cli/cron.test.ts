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

describe('ogdc-runner templates and cron update', () => {
  let svc: TestService;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!, {}, { createEngine, now: () => new Date('2026-01-05T10:00:30Z') });
    await svc.userToken('erin', 'erin-password');
    const url = await svc.app.listen({ host: '127.0.0.1', port: 0 });
    home = await mkdtemp(path.join(os.tmpdir(), 'ogdc-templates-cli-'));
    env = { OGDC_API_URL: url, OGDC_API_USERNAME: 'erin', OGDC_API_PASSWORD: 'erin-password', HOME: home, XDG_CONFIG_HOME: home };
  });
  after(async () => {
    await svc.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('keeps a template from a file, runs a CronWorkflow through it, and updates both', async () => {
    const tpl = path.join(home, 'template.yaml');
    const wait = 'spec: {templates: [{name: wait, suspend: {}}]}';
    await writeFile(tpl, `apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: waiter}\n${wait}\n`);
    const created = await runCli(['templates', 'create', tpl], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /WorkflowTemplate waiter created \(templates: wait\)/);
    assert.match((await runCli(['templates', 'list'], env)).stdout, /^waiter\s+erin\s+\S+\s+wait\s/m);
    const cluster = path.join(home, 'cluster.yaml');
    await writeFile(cluster, `kind: ClusterWorkflowTemplate\nmetadata: {name: everyone}\n${wait}\n`);
    const refused = await runCli(['templates', 'create', cluster], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Only admin may create/);

    const cronFile = path.join(home, 'cron.yaml');
    const cron = (schedule: string) =>
      `kind: CronWorkflow\nmetadata: {name: via-template}\nspec:\n  schedule: "${schedule}"\n  workflowSpec: {entrypoint: wait, workflowTemplateRef: {name: waiter}}\n`;
    await writeFile(cronFile, cron('0 * * * *'));
    assert.equal((await runCli(['cron', 'create', cronFile], env)).code, 0);
    await writeFile(cronFile, cron('30 * * * *'));
    const updated = await runCli(['cron', 'update', cronFile], env);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /CronWorkflow via-template updated; next run 2026-01-05T10:30:00Z/);

    await writeFile(
      tpl,
      `kind: WorkflowTemplate\nmetadata: {name: waiter}\nspec: {templates: [{name: wait, suspend: {}}, {name: more, suspend: {}}]}\n`,
    );
    const replaced = await runCli(['templates', 'update', tpl], env);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /templates: wait, more/);
    const shown = await runCli(['templates', 'get', 'waiter'], env);
    assert.equal(JSON.parse(shown.stdout).spec.templates.length, 2);
    assert.equal((await runCli(['templates', 'delete', 'waiter'], env)).code, 0);
    assert.doesNotMatch((await runCli(['templates', 'list'], env)).stdout, /waiter/);
    const missing = await runCli(['templates', 'get', 'waiter'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /not found/);
  });
});
