// `ogdc-runner run-workflow`: the command's function, without a terminal.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runWorkflowFile } from '../../src/cli/commands/run-workflow.ts';
import { CliError } from '../../src/cli/errors.ts';
import type { Workflow } from '../../src/engine/types.ts';
import { EXAMPLES } from '../engine/local/helpers.ts';
import { runCli } from '../helpers/cli.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
}

test('--json prints only the final Workflow on stdout; -p overrides a parameter; exit 0 on success', async () => {
  const io = capture();
  const code = await runWorkflowFile(path.join(EXAMPLES, 'arguments-parameters.yaml'), {
    parameters: { message: 'goodbye world' },
    json: true,
    sandbox: 'none',
    stdout: io.stdout,
    stderr: io.stderr,
  });
  assert.equal(code, 0);
  const wf = JSON.parse(io.out.join('')) as Workflow;
  assert.equal(wf.apiVersion, 'argoproj.io/v1alpha1');
  assert.equal(wf.status?.phase, 'Succeeded');
  const logs = io.err.join('');
  assert.match(logs, /arguments-parameters-\w{5}: goodbye world\n/);
  assert.match(logs, /Succeeded 1\/1/);
});

test('finished nodes are shown with their messages; a failing workflow exits 1 with its logs on stdout', async () => {
  const io = capture();
  const code = await runWorkflowFile(path.join(EXAMPLES, 'continue-on-fail.yaml'), {
    parameters: {},
    json: false,
    sandbox: 'none',
    stdout: io.stdout,
    stderr: io.stderr,
  });
  // continue-on-fail succeeds although C fails: the step line shows C's failure.
  assert.equal(code, 0);
  assert.match(io.err.join(''), /C: Failed \(main: Error \(exit code 1\)\)/);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-'));
  try {
    const file = path.join(dir, 'fail.yaml');
    await writeFile(
      file,
      'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: fail-}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: busybox, command: [sh, -c, "echo oops; exit 4"]}\n',
    );
    const io2 = capture();
    assert.equal(
      await runWorkflowFile(file, { parameters: {}, json: false, dataDir: dir, sandbox: 'none', stdout: io2.stdout, stderr: io2.stderr }),
      1,
    );
    assert.match(io2.out.join(''), /fail-\w{5}: oops\n/);
    assert.match(io2.err.join(''), /Failed \(0\/1, \d\d:\d\d\): main: Error \(exit code 4\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a refused manifest exits 2 with the message naming the field', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-'));
  try {
    const file = path.join(dir, 'refused.yaml');
    await writeFile(
      file,
      'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    resource: {action: create, manifest: x}\n',
    );
    const io = capture();
    await assert.rejects(
      runWorkflowFile(file, { parameters: {}, json: false, sandbox: 'none', stdout: io.stdout, stderr: io.stderr }),
      (err: unknown) =>
        err instanceof CliError &&
        err.exitCode === 2 &&
        err.message ===
          `${file}: spec.templates[0].resource is not supported by the local engine; use the Argo engine (ARGO_WORKFLOWS_SERVICE_URL)`,
    );
    await assert.rejects(
      runWorkflowFile(path.join(dir, 'missing.yaml'), {
        parameters: {},
        json: false,
        sandbox: 'none',
        stdout: io.stdout,
        stderr: io.stderr,
      }),
      (err: unknown) => err instanceof CliError && err.exitCode === 2 && /missing\.yaml: cannot read the file/.test(err.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a suspended step is announced; NAME=VALUE lines then an empty line resume it with that output', async () => {
  const io = capture();
  let closed = false;
  async function* lines(): AsyncIterable<string> {
    // Typed only once the prompt is shown, as a user would.
    while (!io.err.join('').includes('approve: suspended')) await new Promise((r) => setTimeout(r, 20));
    yield 'message=typed by hand';
    yield '';
  }
  const code = await runWorkflowFile(path.join(EXAMPLES, 'suspend-template-outputs.yaml'), {
    parameters: {},
    json: false,
    sandbox: 'none',
    stdout: io.stdout,
    stderr: io.stderr,
    input: () => ({ lines: lines(), close: () => (closed = true) }),
  });
  assert.equal(code, 0, io.err.join(''));
  assert.match(io.err.join(''), /approve: suspended; type NAME=VALUE lines to set its outputs, then an empty line to resume\n/);
  assert.match(io.err.join(''), /Workflow suspend-outputs resumed\n/);
  assert.match(io.out.join(''), /: typed by hand\n/);
  assert.equal(closed, true);
});

test('a CronWorkflow file runs its workflowSpec once, now, with a note', async () => {
  const io = capture();
  const code = await runWorkflowFile(path.join(EXAMPLES, 'cron-workflow.yaml'), {
    parameters: {},
    json: true,
    sandbox: 'none',
    stdout: io.stdout,
    stderr: io.stderr,
  });
  assert.equal(code, 0, io.err.join(''));
  assert.match(io.err.join(''), /CronWorkflow hello-world: run once now \(run-workflow keeps no schedule\)\n/);
  const wf = JSON.parse(io.out.join('')) as Workflow;
  assert.match(wf.metadata.name!, /^hello-world-\w{5}$/);
  assert.equal(wf.metadata.labels?.['workflows.argoproj.io/cron-workflow'], 'hello-world');
});

test('an http template may call a loopback server (one user, own machine); the body is its result', async () => {
  const http = await import('node:http');
  const server = http.createServer((_req, res) => res.end('pong from loopback'));
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-'));
  try {
    const port = (server.address() as { port: number }).port;
    const file = path.join(dir, 'http.yaml');
    await writeFile(
      file,
      `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: ping-}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    http: {url: "http://127.0.0.1:${port}/ping"}\n`,
    );
    const io = capture();
    const code = await runWorkflowFile(file, { parameters: {}, json: true, sandbox: 'none', stdout: io.stdout, stderr: io.stderr });
    assert.equal(code, 0, io.err.join(''));
    const wf = JSON.parse(io.out.join('')) as Workflow;
    const node = Object.values(wf.status?.nodes ?? {})[0]!;
    assert.equal(node.type, 'HTTP');
    assert.equal(node.outputs?.result, 'pong from loopback');
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('--data-dir keeps memoize caches as files there: a second run in the same folder hits the cache', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-'));
  try {
    const runOnce = async () => {
      const io = capture();
      const code = await runWorkflowFile(path.join(EXAMPLES, 'memoize-simple.yaml'), {
        parameters: {},
        json: true,
        dataDir: dir,
        sandbox: 'none',
        stdout: io.stdout,
        stderr: io.stderr,
      });
      assert.equal(code, 0, io.err.join(''));
      const wf = JSON.parse(io.out.join('')) as Workflow;
      return Object.values(wf.status?.nodes ?? {}).map((n) => (n as { memoizationStatus?: { hit: boolean } }).memoizationStatus?.hit);
    };
    assert.deepEqual(await runOnce(), [false]);
    assert.deepEqual(await runOnce(), [true]);
    // No database folder: only files (volumes, artifacts, logs, the caches).
    const { readdir } = await import('node:fs/promises');
    assert.ok(!(await readdir(dir)).includes('run-workflow-db'));
    assert.ok((await readdir(dir)).includes('memoize'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('OGDC_LOCAL_MAX_PROCESSES=1 runs parallel steps one at a time; a bad value exits 2 naming it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-'));
  try {
    const file = path.join(dir, 'parallel.yaml');
    // Each step holds a lock folder on a shared volume for a while: a second step running meanwhile cannot create it.
    await writeFile(
      file,
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: parallel-}
spec:
  entrypoint: main
  volumeClaimTemplates:
  - metadata: {name: shared}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
  templates:
  - name: main
    steps:
    - - {name: a, template: hold}
      - {name: b, template: hold}
      - {name: c, template: hold}
  - name: hold
    container:
      image: busybox
      command: [sh, -c, "mkdir /shared/lock || exit 3; sleep 0.5; rmdir /shared/lock"]
      volumeMounts: [{name: shared, mountPath: /shared}]
`,
    );
    const env = { OGDC_ARGO_SCHEMA: process.env.OGDC_ARGO_SCHEMA, XDG_CACHE_HOME: path.join(dir, 'cache') };
    const one = await runCli(['run-workflow', file, '--sandbox', 'none'], { ...env, OGDC_LOCAL_MAX_PROCESSES: '1' });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stderr, /Succeeded \(3\/3/);
    const bad = await runCli(['run-workflow', file, '--sandbox', 'none'], { ...env, OGDC_LOCAL_MAX_PROCESSES: 'two' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /OGDC_LOCAL_MAX_PROCESSES must be a positive whole number, got "two"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('run-workflow never loads the embedded database (PGlite), with or without --data-dir', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-cli-'));
  try {
    // A module hook that makes loading anything named pglite (the package or src/db/pglite) fail the command.
    const hooks = path.join(dir, 'hooks.mjs');
    await writeFile(
      hooks,
      `export async function resolve(specifier, context, next) {
  if (/pglite/i.test(specifier)) throw new Error('loaded ' + specifier);
  return next(specifier, context);
}
`,
    );
    const preload = path.join(dir, 'preload.mjs');
    await writeFile(preload, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const env = {
      OGDC_ARGO_SCHEMA: process.env.OGDC_ARGO_SCHEMA,
      XDG_CACHE_HOME: path.join(dir, 'cache'),
      NODE_OPTIONS: `--import ${pathToFileURL(preload).href}`,
    };
    const file = path.join(EXAMPLES, 'hello-world.yaml');
    const plain = await runCli(['run-workflow', file, '--sandbox', 'none'], env);
    assert.equal(plain.code, 0, plain.stderr);
    const kept = await runCli(['run-workflow', file, '--sandbox', 'none', '--data-dir', path.join(dir, 'data')], env);
    assert.equal(kept.code, 0, kept.stderr);
    // The hook does bite: a command that opens the database fails.
    const probe = path.join(dir, 'probe.mjs');
    await writeFile(
      probe,
      `await import(${JSON.stringify(pathToFileURL(path.join(import.meta.dirname, '../../node_modules/@electric-sql/pglite/dist/index.js')).href)});\n`,
    );
    const { spawnSync } = await import('node:child_process');
    const bitten = spawnSync(process.execPath, [probe], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.notEqual(bitten.status, 0);
    assert.match(bitten.stderr, /loaded .*pglite/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
