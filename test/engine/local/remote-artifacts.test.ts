// `http` and `git` input artifacts (Argo's http and git artifact drivers), from a stand-in server and a local repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeGitRepo } from '../../helpers/git-repo.ts';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, manifest, nodeByDisplay } from './helpers.ts';

const bwrapOnly = { skip: !(await bwrapWorks()) && 'bubblewrap is not usable here' };

let server: http.Server;
let base = '';
let repo: Awaited<ReturnType<typeof makeGitRepo>>;

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/tool') {
      res.writeHead(200);
      res.end(`#!/bin/sh\necho "tool ran with $1 token=${String(req.headers['x-token'] ?? '')}"\n`);
    } else if (req.url === '/kubectl') {
      res.writeHead(200);
      res.end('#!/bin/sh\necho "kubectl ran: $1"\n');
    } else if (req.url === '/moved') {
      res.writeHead(301, { location: '/tool' });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  repo = await makeGitRepo({ VERSION: 'v1\n', 'src/a.txt': 'a\n' }, ['v1']);
  await writeFile(path.join(repo.dir, 'VERSION'), 'v2\n');
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-qam', 'two'], { cwd: repo.dir });
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await repo.cleanup();
});

const wf = (artifacts: string, command: string) =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: remote-art-}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
${artifacts}
    container: {image: alpine, command: [sh, -c, '${command}']}
`);

test('http artifact (headers, redirect, mode) and git artifact at a revision land at their paths', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none', allowPrivateHttp: true });
  const done = await engine.wait(
    (
      await engine.submit(
        wf(
          `      - name: tool
        path: /tmp/bin/tool
        mode: 0755
        http: {url: "${base}/moved", headers: [{name: X-Token, value: t0k}]}
      - name: src
        path: /tmp/src
        git: {repo: "${repo.url}", revision: v1}
      - name: head
        path: /tmp/head
        git: {repo: "${repo.url}", depth: 1}`,
          '/tmp/bin/tool x && cat /tmp/src/VERSION /tmp/src/src/a.txt /tmp/head/VERSION',
        ),
      )
    ).metadata.name!,
  );
  assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.nodes));
  const lines = (await logText(engine, done.metadata.name!)).join('\n');
  assert.match(lines, /tool ran with x token=t0k/);
  assert.match(lines, /v1\n(.*: )?a\n(.*: )?v2/);
  const node = nodeByDisplay(done, done.metadata.name!);
  assert.deepEqual(
    node.inputs?.artifacts?.map((a) => a.name),
    ['tool', 'src', 'head'],
  );
});

test('an http artifact at /bin/kubectl with mode 0755 runs by name, as input-artifact-http does', bwrapOnly, async (t) => {
  const { engine } = await harness(t, { sandbox: 'bwrap', allowPrivateHttp: true });
  const done = await engine.wait(
    (
      await engine.submit(
        wf(
          `      - name: kubectl\n        path: /bin/kubectl\n        mode: 0755\n        http: {url: "${base}/kubectl"}`,
          'kubectl version',
        ),
      )
    ).metadata.name!,
  );
  assert.equal(done.status?.phase, 'Succeeded', nodeByDisplay(done, done.metadata.name!).message);
  assert.match((await logText(engine, done.metadata.name!)).join('\n'), /kubectl ran: version/);
});

test('http artifact: a 404 answer fails the node with Argo message', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none', allowPrivateHttp: true });
  const done = await engine.wait(
    (await engine.submit(wf(`      - name: f\n        path: /tmp/f\n        http: {url: "${base}/missing"}`, 'cat /tmp/f'))).metadata.name!,
  );
  assert.notEqual(done.status?.phase, 'Succeeded');
  assert.equal(nodeByDisplay(done, done.metadata.name!).message, "failed to load artifact 'f': 404 Not Found");
});

test('without allowPrivateHttp (the service): loopback http hosts and file:// repositories are refused before any fetch', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const httpRun = await engine.wait(
    (await engine.submit(wf(`      - name: f\n        path: /tmp/f\n        http: {url: "${base}/tool"}`, 'cat /tmp/f'))).metadata.name!,
  );
  assert.equal(
    nodeByDisplay(httpRun, httpRun.metadata.name!).message,
    `failed to load artifact 'f': Get "${base}/tool": host "127.0.0.1" (127.0.0.1) is a loopback, private or link-local address, which is not allowed (OGDC_ALLOW_PRIVATE_SOURCES)`,
  );
  const gitRun = await engine.wait(
    (await engine.submit(wf(`      - name: s\n        path: /tmp/s\n        git: {repo: "${repo.url}"}`, 'ls /tmp/s'))).metadata.name!,
  );
  assert.equal(
    nodeByDisplay(gitRun, gitRun.metadata.name!).message,
    `failed to load artifact 's': failed to clone "${repo.url}": only https, http, ssh and git repositories are allowed`,
  );
  const loopGit = await engine.wait(
    (await engine.submit(wf(`      - name: s\n        path: /tmp/s\n        git: {repo: "http://127.0.0.1:9/r.git"}`, 'ls /tmp/s')))
      .metadata.name!,
  );
  assert.match(
    nodeByDisplay(loopGit, loopGit.metadata.name!).message ?? '',
    /host "127\.0\.0\.1" \(127\.0\.0\.1\) is a loopback, private or link-local address/,
  );
});

test('http and git artifacts given as workflow and step arguments (as arguments-artifacts does), handed on with from', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none', allowPrivateHttp: true });
  const wfArg = await engine.wait(
    (
      await engine.submit(
        manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: wf-arg-art-}
spec:
  entrypoint: main
  arguments:
    artifacts:
    - name: tool
      http: {url: "${base}/tool"}
  templates:
  - name: main
    inputs:
      artifacts: [{name: tool}]
    steps:
    - - name: run-tool
        template: run-tool
        arguments:
          artifacts: [{name: tool, from: "{{inputs.artifacts.tool}}"}]
  - name: run-tool
    inputs:
      artifacts: [{name: tool, path: /tmp/tool, mode: 0755}]
    container: {image: alpine, command: [/tmp/tool, from-arguments]}
`),
      )
    ).metadata.name!,
  );
  assert.equal(wfArg.status?.phase, 'Succeeded', JSON.stringify(wfArg.status?.nodes));
  assert.match((await logText(engine, wfArg.metadata.name!)).join('\n'), /tool ran with from-arguments/);
  const stepArg = await engine.wait(
    (
      await engine.submit(
        manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: step-arg-art-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: use
        template: use
        arguments:
          artifacts:
          - name: src
            git: {repo: "${repo.url}", revision: v1}
  - name: use
    inputs:
      artifacts: [{name: src, path: /tmp/src}]
    container: {image: alpine, command: [cat, /tmp/src/VERSION]}
`),
      )
    ).metadata.name!,
  );
  assert.equal(stepArg.status?.phase, 'Succeeded', JSON.stringify(stepArg.status?.nodes));
  assert.match((await logText(engine, stepArg.metadata.name!)).join('\n'), /v1/);
  const use = nodeByDisplay(stepArg, 'use');
  assert.deepEqual(use.inputs?.artifacts?.[0], { name: 'src', path: '/tmp/src', git: { repo: repo.url, revision: 'v1' } });
});
