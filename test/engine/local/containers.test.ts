// Daemons, sidecars, init containers (pods/containers.ts, pods/pod-network.ts, execution/daemons.ts), against
// Argo's controller: operator.go (assessNodeStatus, killDaemonedChildren), workflowpod.go, the executor's wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { example, harness, logText, manifest, nodeByDisplay, nodes, run } from './helpers.ts';

// Serves 'hello from the daemon' on the port that follows.
const SERVER = 'mkdir -p /tmp/www && echo hello from the daemon > /tmp/www/index.html && exec python3 -m http.server -d /tmp/www ';

const daemonWorkflow = (port: number, probe: string) =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: daemon-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: server
        template: server
    - - name: client
        template: client
        arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
    - - name: after
        template: check
        arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
  - name: server
    daemon: true
    container:
      image: python:3
      command: [sh, -c]
      args: ['${SERVER}${port}']
      readinessProbe:
${probe}
        periodSeconds: 1
  - name: client
    inputs: {parameters: [{name: ip}]}
    script:
      image: python:3
      command: [python3]
      source: |
        import urllib.request
        print(urllib.request.urlopen("http://{{inputs.parameters.ip}}:${port}/", timeout=30).read().decode().strip())
  - name: check
    inputs: {parameters: [{name: ip}]}
    container:
      image: alpine
      command: [sh, -c, 'echo {{inputs.parameters.ip}}']
`);

test('a daemon is used once ready (httpGet probe), then killed when its steps end', { timeout: 180_000 }, async (t) => {
  const h = await harness(t);
  const wf = await run(h.engine, daemonWorkflow(18431, '        httpGet: {path: /, port: 18431}'));
  assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(nodes(wf).map((n) => [n.displayName, n.phase, n.message])));
  const server = nodeByDisplay(wf, 'server');
  assert.equal(server.type, 'Pod');
  // killDaemonedChildren: Succeeded, no longer daemoned; the IP stays recorded.
  assert.equal(server.phase, 'Succeeded');
  assert.equal(server.daemoned, undefined);
  assert.equal(server.podIP, '127.0.0.1');
  const client = nodeByDisplay(wf, 'client');
  assert.equal(client.phase, 'Succeeded');
  assert.deepEqual(await logText(h.engine, wf.metadata.name!, client.id), ['hello from the daemon']);
  // The server ended before the workflow did.
  assert.ok(Date.parse(server.finishedAt!) <= Date.parse(wf.status!.finishedAt!));
});

test('an exec readiness probe runs in the pod; a dag task uses {{tasks.X.ip}}', { timeout: 180_000 }, async (t) => {
  const h = await harness(t);
  const wf = await run(
    h.engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-daemon-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: server, template: server}
      - name: client
        depends: server
        template: client
        arguments: {parameters: [{name: ip, value: "{{tasks.server.ip}}"}]}
  - name: server
    daemon: true
    container:
      image: alpine
      command: [sh, -c, 'sleep 1; touch /tmp/ready; exec sleep 600']
      readinessProbe:
        exec: {command: [test, -e, /tmp/ready]}
        periodSeconds: 1
  - name: client
    inputs: {parameters: [{name: ip}]}
    container: {image: alpine, command: [echo, 'server at {{inputs.parameters.ip}}']}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(nodes(wf).map((n) => [n.displayName, n.phase, n.message])));
  assert.equal(nodeByDisplay(wf, 'server').phase, 'Succeeded');
  assert.deepEqual(await logText(h.engine, wf.metadata.name!, nodeByDisplay(wf, 'client').id), ['server at 127.0.0.1']);
});

test('a stop kills a running daemon; its node is Failed with the stop message', { timeout: 180_000 }, async (t) => {
  const h = await harness(t);
  const submitted = await h.engine.submit(
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: daemon-stop-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: wait, template: wait}
  - name: server
    daemon: true
    container: {image: alpine, command: [sleep, '600']}
  - name: wait
    container: {image: alpine, command: [sleep, '600']}
`),
  );
  const name = submitted.metadata.name!;
  for (let i = 0; i < 600; i++) {
    const wf = await h.engine.get(name);
    if (nodes(wf).some((n) => n.displayName === 'wait' && n.phase === 'Running')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const during = await h.engine.get(name);
  assert.equal(nodeByDisplay(during, 'server').daemoned, true);
  assert.equal(nodeByDisplay(during, 'server').phase, 'Running');
  await h.engine.stop(name);
  const wf = await h.engine.wait(name);
  assert.equal(wf.status?.phase, 'Failed');
  const server = nodeByDisplay(wf, 'server');
  assert.equal(server.phase, 'Failed');
  assert.equal(server.message, "Stopped with strategy 'Stop'");
});

test(
  'sidecars share the pod network and are killed once main ends; init containers run first, in order',
  { timeout: 180_000 },
  async (t) => {
    const h = await harness(t);
    const wf = await run(
      h.engine,
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sidecar-}
spec:
  entrypoint: main
  volumes: [{name: work, emptyDir: {}}]
  templates:
  - name: main
    initContainers:
    - {name: first, image: alpine, command: [sh, -c, 'echo one >> /work/order'], mirrorVolumeMounts: true}
    - {name: second, image: alpine, command: [sh, -c, 'echo two >> /work/order'], mirrorVolumeMounts: true}
    sidecars:
    - name: web
      image: python:3
      command: [sh, -c, '${SERVER}18432']
    container:
      image: python:3
      command: [sh, -c]
      args:
      - |
        cat /work/order
        python3 -c "
        import urllib.request, time
        for i in range(300):
            try:
                print(urllib.request.urlopen('http://127.0.0.1:18432/', timeout=5).read().decode().strip()); break
            except Exception: time.sleep(0.1)
        "
      volumeMounts: [{name: work, mountPath: /work}]
`),
    );
    assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(nodes(wf).map((n) => [n.displayName, n.phase, n.message])));
    const pod = nodeByDisplay(wf, wf.metadata.name!);
    assert.deepEqual(await logText(h.engine, wf.metadata.name!, pod.id), ['one', 'two', 'hello from the daemon']);
    // The sidecar did not hold the pod open: it was killed (SIGTERM) after main.
    assert.equal(pod.phase, 'Succeeded');
  },
);

test('a failing init container fails the pod with its name; main does not run', { timeout: 180_000 }, async (t) => {
  const h = await harness(t);
  const wf = await run(
    h.engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: init-fail-}
spec:
  entrypoint: main
  templates:
  - name: main
    initContainers:
    - {name: setup, image: alpine, command: [sh, -c, 'exit 3']}
    container: {image: alpine, command: [sh, -c, 'echo main ran']}
`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  const pod = nodeByDisplay(wf, wf.metadata.name!);
  assert.equal(pod.phase, 'Failed');
  assert.equal(pod.message, 'setup: Error (exit code 3)');
  assert.deepEqual(await logText(h.engine, wf.metadata.name!, pod.id), []);
});

test('a sidecar fork bomb is bounded by the step limits and killed with the pod', { timeout: 180_000 }, async (t) => {
  const h = await harness(t, { limits: { processes: 64 } });
  const wf = await run(
    h.engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sidecar-bomb-}
spec:
  entrypoint: main
  templates:
  - name: main
    sidecars:
    - {name: bomb, image: alpine, command: [sh, -c, 'b() { b & b & }; b; sleep 600']}
    container:
      image: alpine
      command: [sh, -c, 'sleep 2; for i in 1 2 3 4 5 6 7 8; do sleep 0 & done; wait; echo main done']
`),
  );
  // Main may or may not find a free process slot under the shared limit; either way nothing outlives the pod.
  const pod = nodeByDisplay(wf, wf.metadata.name!);
  assert.ok(['Succeeded', 'Failed'].includes(pod.phase), `${pod.phase} ${pod.message}`);
  const bombLog = await readFile(path.join(h.dataDir, 'workflows', wf.metadata.name!, 'nodes', pod.id, 'bomb.log'), 'utf8').catch(() => '');
  assert.match(bombLog, /fork|Resource temporarily unavailable|Cannot|can't/i);
});

test('closing the engine kills a daemon: nothing it started goes on writing', { timeout: 180_000 }, async (t) => {
  const h = await harness(t);
  const submitted = await h.engine.submit(
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: daemon-close-}
spec:
  entrypoint: main
  volumes: [{name: data, persistentVolumeClaim: {claimName: beat}}]
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: wait, template: wait}
  - name: server
    daemon: true
    container:
      image: alpine
      command: [sh, -c, 'while true; do echo beat >> /data/beats; sleep 0.2; done']
      volumeMounts: [{name: data, mountPath: /data}]
  - name: wait
    container: {image: alpine, command: [sleep, '600']}
`),
  );
  const name = submitted.metadata.name!;
  const beats = path.join(h.dataDir, 'volumes', 'beat', 'beats');
  for (let i = 0; i < 600; i++) {
    if ((await readFile(beats, 'utf8').catch(() => '')).length > 20) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await h.engine.close();
  const after = await readFile(beats, 'utf8');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await readFile(beats, 'utf8'), after);
  void name;
});

test(
  "Argo's daemon-nginx example: the nginx stand-in serves its page to the client at {{steps.nginx-server.ip}}",
  { timeout: 180_000 },
  async (t) => {
    const h = await harness(t);
    const wf = await run(h.engine, await example('daemon-nginx'));
    assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(nodes(wf).map((n) => [n.displayName, n.phase, n.message])));
    const server = nodeByDisplay(wf, 'nginx-server');
    assert.equal(server.phase, 'Succeeded');
    const log = (await logText(h.engine, wf.metadata.name!, nodeByDisplay(wf, 'nginx-client').id)).join('\n');
    assert.match(log, /^curl --silent -G http:\/\/127\.0\.0\.1:80\//);
    assert.match(log, /<title>Welcome to nginx!<\/title>/);
  },
);
