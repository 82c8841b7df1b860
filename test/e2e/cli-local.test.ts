import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { serveFiles, writeRecipe } from '../helpers/recipes.ts';
import { runCli } from '../helpers/cli.ts';
import { createEngine } from '../../src/engine/create.ts';

describe('the ogdc-runner CLI against a service on the local engine', () => {
  let svc: TestService;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let env: Record<string, string>;

  before(async () => {
    files = await serveFiles({ 'in.txt': 'hello\n' });
    svc = await startTestService(dbTargets()[0]!, { OGDC_ALLOW_PRIVATE_SOURCES: 'true' }, { createEngine }); // inputs served on loopback;
    const url = await svc.app.listen({ host: '127.0.0.1', port: 0 });
    await svc.userToken('carol', 'carol-password');
    env = { OGDC_API_URL: url, OGDC_API_USERNAME: 'carol', OGDC_API_PASSWORD: 'carol-password' };
  });
  after(async () => {
    await svc.stop();
    await files.close();
  });

  it('submits a local directory with --wait, then reports status, runs, logs and the output', async () => {
    const dir = await writeRecipe({
      name: 'Cli hello',
      inputs: [`${files.url}/in.txt`],
      steps: ['echo processing in.txt && tr a-z A-Z < /input_dir/in.txt > /output_dir/OUT.txt'],
    });
    const submitted = await runCli(['submit', dir, '--wait'], env);
    assert.equal(submitted.code, 0, submitted.stderr);
    const name = /recipe_workflow_name='([^']+)'/.exec(submitted.stdout)?.[1];
    assert.ok(name, submitted.stdout);
    assert.match(submitted.stdout, /Waiting for completion\.\.\.\n/);
    assert.match(submitted.stdout, new RegExp(`Workflow ${name} succeeded\\.`));
    assert.match(submitted.stderr, /Succeeded, \d+\/\d+ nodes, \d+:\d\d elapsed/);

    const status = await runCli(['check-workflow-status', name], env);
    assert.equal(status.stdout, `Workflow ${name} has status Succeeded.\n`);

    const runs = await runCli(['runs'], env);
    assert.match(runs.stdout, new RegExp(`${name}\\s+cli-hello\\s+carol\\s+Succeeded`));

    const logs = await runCli(['logs', name], env);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /processing in\.txt/);

    const outDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-out-'));
    const output = await runCli(['get-output', name, '--output-dir', outDir], env);
    assert.equal(output.code, 0, output.stderr);
    assert.equal(output.stdout, `${path.join(outDir, 'cli-hello.zip')}\n`);
    assert.ok((await stat(path.join(outDir, 'cli-hello.zip'))).size > 0);
  });

  it('exits non-zero with the failing node when a waited-for run fails', async () => {
    const dir = await writeRecipe({ name: 'Cli failing', inputs: [`${files.url}/in.txt`], steps: ['exit 3'] });
    const res = await runCli(['submit', dir, '--wait'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /ended Failed/);
    assert.match(res.stderr, /exit code 3/);
    assert.match(res.stderr, /ogdc-runner logs /);
  });

  it('prints the service detail for an invalid recipe and for an unknown workflow', async () => {
    const invalid = await runCli(['submit', path.join(files.url, 'nope')], env);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /API Error with status code 400: Bad Request\./);
    const unknown = await runCli(['check-workflow-status', 'no-such-workflow'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'API Error with status code 404: Not Found.\nAPI Error details: Workflow no-such-workflow not found.\n');
  });

  it('cancels a running run', async () => {
    const dir = await writeRecipe({ name: 'Cli slow', inputs: [`${files.url}/in.txt`], steps: ['sleep 30'] });
    const submitted = await runCli(['submit', dir], env);
    const name = /recipe_workflow_name='([^']+)'/.exec(submitted.stdout)![1]!;
    const cancel = await runCli(['cancel', name], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout, `Workflow ${name} is being stopped.\n`);
  });
});
