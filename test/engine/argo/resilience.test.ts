import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createArgoEngine } from '../../../src/engine/argo/index.ts';
import { EngineUnavailableError, WorkflowNotFoundError } from '../../../src/engine/errors.ts';
import { startArgoStandin } from '../../standins/argo-server.ts';
import { helloManifest } from './fixtures.ts';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the token is sent as a bearer token, without doubling an existing Bearer prefix', async (t) => {
  const argo = await startArgoStandin({ token: 's3cr3t-token' });
  t.after(() => argo.close());
  for (const token of ['s3cr3t-token', 'Bearer s3cr3t-token']) {
    const engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', token });
    await engine.submit(helloManifest());
    assert.equal(argo.requests.at(-1)?.authorization, 'Bearer s3cr3t-token');
    await engine.close();
  }
});

test('a refused token is EngineUnavailableError naming the server and the 401, never echoing the token', async (t) => {
  const argo = await startArgoStandin({ token: 'right-token' });
  t.after(() => argo.close());
  const engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', token: 'wrong-token' });
  t.after(() => engine.close());
  await assert.rejects(engine.get('any'), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.match(
      err.message,
      new RegExp(`Argo Server at ${argo.url} refused our credentials \\(HTTP 401\\) to get workflow "any": token not valid`),
    );
    assert.doesNotMatch(err.message, /wrong-token/);
    return true;
  });
  assert.equal(argo.requests.length, 1, '401 is not retried');
});

test('an idempotent GET is retried after a transient 500 and succeeds', async (t) => {
  const argo = await startArgoStandin();
  t.after(() => argo.close());
  const engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', retries: 2 });
  t.after(() => engine.close());
  const { metadata } = await engine.submit(helloManifest());
  argo.fail('500', 1);
  const wf = await engine.get(metadata.name!);
  assert.equal(wf.metadata.name, metadata.name);
  assert.deepEqual(
    argo.requests.slice(1).map((r) => r.method),
    ['GET', 'GET'],
  );
});

test('a POST is never retried: a 500 on submit fails at once with EngineUnavailableError', async (t) => {
  const argo = await startArgoStandin();
  t.after(() => argo.close());
  const engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', retries: 3 });
  t.after(() => engine.close());
  argo.fail('500', 1);
  await assert.rejects(engine.submit(helloManifest()), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.match(err.message, /failed to submit workflow "hello-world-": HTTP 500: etcdserver: request timed out/);
    return true;
  });
  assert.equal(argo.requests.length, 1);
  assert.equal(argo.workflows.size, 0);
});

test('a server that keeps failing is EngineUnavailableError after the retries run out', async (t) => {
  const argo = await startArgoStandin();
  t.after(() => argo.close());
  const engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', retries: 2 });
  t.after(() => engine.close());
  argo.fail('down');
  await assert.rejects(engine.list('a=b'), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.match(err.message, new RegExp(`^Argo Server at ${argo.url} is unreachable: .*\\(list workflows labelled "a=b"\\)$`));
    return true;
  });
  assert.equal(argo.requests.length, 3);
});

test('an unreachable server is EngineUnavailableError naming its URL and ECONNREFUSED', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const engine = createArgoEngine({ serviceUrl: url, namespace: 'qgnet', retries: 1 });
  await assert.rejects(engine.ping(), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.match(err.message, new RegExp(`^Argo Server at ${url} is unreachable: connect ECONNREFUSED`));
    return true;
  });
  await assert.rejects(engine.submit(helloManifest()), EngineUnavailableError);
  await engine.close();
});

test('a server that never answers is EngineUnavailableError once the timeout passes', async (t) => {
  const argo = await startArgoStandin();
  t.after(() => argo.close());
  const engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', timeoutMs: 150, retries: 0 });
  t.after(() => engine.close());
  argo.fail('hang');
  await assert.rejects(engine.get('slow'), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.equal(err.message, `Argo Server at ${argo.url} did not answer within 150 ms (get workflow "slow")`);
    return true;
  });
});

test('a self-signed Argo Server is accepted with insecureSkipVerify and refused without it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'argo-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const argo = await startArgoStandin({
    tls: { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') },
  });
  t.after(() => argo.close());
  assert.match(argo.url, /^https:/);

  const insecure = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', insecureSkipVerify: true });
  await insecure.ping();
  await assert.rejects(insecure.get('missing'), WorkflowNotFoundError);
  await insecure.close();

  const strict = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', retries: 0 });
  await assert.rejects(strict.ping(), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.match(err.message, /is unreachable: self[- ]signed certificate/);
    return true;
  });
  await strict.close();
});

test('a finished log answer that stalls is cut off with EngineUnavailableError after the timeout', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`${JSON.stringify({ result: { podName: 'wf-1', content: 'first line' } })}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const engine = createArgoEngine({ serviceUrl: url, namespace: 'qgnet', timeoutMs: 150, retries: 0 });
  t.after(() => engine.close());
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const line of engine.logs('wf-1')) seen.push(line.content);
    })(),
    (err: unknown) => {
      assert.ok(err instanceof EngineUnavailableError);
      assert.equal(err.message, `Argo Server at ${url} broke off the logs of "wf-1": no log data within 150 ms`);
      return true;
    },
  );
  assert.deepEqual(seen, ['first line']);
});

test("a 404 that is not Argo's (wrong URL, a proxy page) is EngineUnavailableError, not WorkflowNotFoundError", async (t) => {
  const server = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const engine = createArgoEngine({ serviceUrl: url, namespace: 'qgnet' });
  t.after(() => engine.close());
  await assert.rejects(engine.get('wf-1'), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.match(
      err.message,
      /answered 404 without Argo's error body to get workflow "wf-1" \(is ARGO_WORKFLOWS_SERVICE_URL the Argo Server\?\): <h1>Not Found<\/h1>/,
    );
    return true;
  });
});
