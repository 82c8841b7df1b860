// `http` templates as Argo's agent runs them (workflow/executor/agent.go), against a stand-in server on 127.0.0.1.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { harness, manifest, nodeByDisplay } from './helpers.ts';

let server: http.Server;
let base = '';
const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/status') {
        res.writeHead(Number(url.searchParams.get('code')), { server: 'stand-in' });
        res.end(`status ${url.searchParams.get('code')}`);
      } else if (url.pathname === '/echo') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-Custom-header': 'one' });
        res.end(JSON.stringify({ method: req.method, body, token: req.headers['x-token'] ?? null }));
      } else if (url.pathname === '/redirect') {
        res.writeHead(302, { location: '/echo' });
        res.end();
      } else if (url.pathname === '/slow') {
        // Never answers; the client's timeout ends it.
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const wf = (steps: string, templates: string) =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: http-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
${steps}
${templates}
`);

test('http: a 2xx answer succeeds with the body as outputs.result; non-2xx fails with Argo message; the next step reads the result', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none', allowPrivateHttp: true });
  const name = (
    await engine.submit(
      wf(
        `    - - name: good
        template: call
        arguments: {parameters: [{name: url, value: "${base}/echo"}]}
      - name: bad
        template: call
        continueOn: {failed: true}
        arguments: {parameters: [{name: url, value: "${base}/status?code=404"}]}
    - - name: post
        template: post
        arguments: {parameters: [{name: previous, value: "{{steps.good.outputs.result}}"}]}`,
        `  - name: call
    inputs: {parameters: [{name: url}]}
    http: {url: "{{inputs.parameters.url}}"}
  - name: post
    inputs: {parameters: [{name: previous}]}
    http:
      url: "${base}/echo"
      method: POST
      headers: [{name: X-Token, value: abc}]
      body: "{{inputs.parameters.previous}}"
      successCondition: 'response.statusCode == 200 && response.headers["X-Custom-Header"][0] == "one" && response.body contains "abc"'`,
      ),
    )
  ).metadata.name!;
  const done = await engine.wait(name);
  assert.equal(done.status?.phase, 'Succeeded');
  const good = nodeByDisplay(done, 'good');
  assert.equal(good.type, 'HTTP');
  assert.equal(good.phase, 'Succeeded');
  assert.equal(good.outputs?.result, JSON.stringify({ method: 'GET', body: '', token: null }));
  assert.deepEqual(good.inputs?.parameters, [{ name: 'url', value: `${base}/echo` }]);
  const bad = nodeByDisplay(done, 'bad');
  assert.equal(bad.phase, 'Failed');
  assert.equal(bad.message, 'received non-2xx response code: 404');
  assert.equal(bad.outputs?.result, 'status 404');
  const post = nodeByDisplay(done, 'post');
  assert.equal(post.phase, 'Succeeded');
  const sent = seen.find((s) => s.method === 'POST')!;
  assert.equal(sent.headers['x-token'], 'abc');
  assert.equal(sent.body, good.outputs?.result);
  assert.equal(done.status?.progress, '2/3');
});

test('http: successCondition false, redirects followed, timeoutSeconds', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none', allowPrivateHttp: true });
  const name = (
    await engine.submit(
      wf(
        `    - - name: is-201
        template: is-201
        continueOn: {failed: true}
      - name: moved
        template: moved
      - name: slow
        template: slow
        continueOn: {failed: true}`,
        `  - name: is-201
    http: {url: "${base}/status?code=200", successCondition: "response.statusCode == 201"}
  - name: moved
    http: {url: "${base}/redirect"}
  - name: slow
    http: {url: "${base}/slow", timeoutSeconds: 1}`,
      ),
    )
  ).metadata.name!;
  const done = await engine.wait(name);
  assert.equal(done.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(done, 'is-201').message, "successCondition 'response.statusCode == 201' evaluated false");
  assert.equal(nodeByDisplay(done, 'is-201').phase, 'Failed');
  assert.equal(nodeByDisplay(done, 'moved').phase, 'Succeeded');
  assert.match(nodeByDisplay(done, 'moved').outputs?.result ?? '', /"method":"GET"/);
  const slow = nodeByDisplay(done, 'slow');
  assert.equal(slow.phase, 'Failed');
  assert.equal(slow.message, `Get "${base}/slow": context deadline exceeded`);
});

test('http: without allowPrivateHttp (the service without OGDC_ALLOW_PRIVATE_SOURCES) loopback hosts are refused before any request', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const before = seen.length;
  const name = (
    await engine.submit(
      wf(
        `    - - name: direct
        template: direct
        continueOn: {failed: true}
      - name: by-name
        template: by-name
        continueOn: {failed: true}`,
        `  - name: direct
    http: {url: "${base}/echo"}
  - name: by-name
    http: {url: "${base.replace('127.0.0.1', 'localhost')}/echo"}`,
      ),
    )
  ).metadata.name!;
  const done = await engine.wait(name);
  const direct = nodeByDisplay(done, 'direct');
  assert.equal(direct.phase, 'Failed');
  assert.equal(
    direct.message,
    `Get "${base}/echo": host "127.0.0.1" (127.0.0.1) is a loopback, private or link-local address, which is not allowed (OGDC_ALLOW_PRIVATE_SOURCES)`,
  );
  const byName = nodeByDisplay(done, 'by-name');
  assert.equal(byName.phase, 'Failed');
  assert.match(byName.message ?? '', /host "localhost" \((127\.0\.0\.1|::1)\) is a loopback, private or link-local address/);
  assert.equal(seen.length, before, 'no request reached the server');
});

test('http: fields outside Argo-with-no-cluster are refused at submit, naming them', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  await assert.rejects(
    engine.submit(
      wf(
        `    - - name: a
        template: a`,
        `  - name: a
    http:
      url: "${base}/echo"
      headers: [{name: X-Token, valueFrom: {secretKeyRef: {name: s, key: k}}}]`,
      ),
    ),
    (e: unknown) =>
      e instanceof ManifestRejectedError &&
      /spec\.templates\[1\]\.http\.headers\[0\]\.valueFrom is not supported by the local engine/.test(e.message),
  );
  await assert.rejects(
    engine.submit(
      wf(
        `    - - name: a
        template: a`,
        `  - name: a
    http: {url: "${base}/echo", successCondition: "response.statusCode =="}`,
      ),
    ),
    (e: unknown) => e instanceof ManifestRejectedError && /http\.successCondition/.test(e.message),
  );
});

test('http: stopping the workflow ends a request in flight; the node fails with the stop message', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none', allowPrivateHttp: true });
  const slowBefore = seen.filter((s) => s.url === '/slow').length;
  const name = (await engine.submit(wf(`    - - name: wait\n        template: slow`, `  - name: slow\n    http: {url: "${base}/slow"}`)))
    .metadata.name!;
  // Stop once the stand-in has the request (it never answers).
  const deadline = Date.now() + 15000;
  while (seen.filter((s) => s.url === '/slow').length === slowBefore) {
    if (Date.now() > deadline) throw new Error('the request never arrived');
    await new Promise((r) => setTimeout(r, 20));
  }
  await engine.stop(name);
  const done = await engine.wait(name);
  assert.equal(done.status?.phase, 'Failed');
  const node = nodeByDisplay(done, 'wait');
  assert.equal(node.phase, 'Failed');
  assert.equal(node.message, "Stopped with strategy 'Stop'");
});
