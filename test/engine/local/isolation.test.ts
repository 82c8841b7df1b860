// Hostile steps against the local engine's sandbox: environment, files, network, limits, links.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, manifest, nodeByDisplay, run, shellPod } from './helpers.ts';

const bwrapOnly = { skip: !(await bwrapWorks()) && 'bubblewrap is not usable here' };

/** A one-step workflow running `script` in sh, with extra template fields. */
const step = (script: string, extra = '') => shellPod('{generateName: hostile-}', script, extra);

test('a step gets only PATH, HOME, LANG, its declared env and Argo variables; no descriptor beyond 0-2', bwrapOnly, async (t) => {
  process.env.OGDC_FAKE_SECRET_FOR_TEST = 'leaked-secret-value';
  t.after(() => delete process.env.OGDC_FAKE_SECRET_FOR_TEST);
  const { engine } = await harness(t, { sandbox: 'bwrap' });
  const wf = await run(engine, step('env | sort; echo fds: $(ls /proc/self/fd | sort -n | tr "\\n" " ")'));
  assert.equal(wf.status?.phase, 'Succeeded');
  const text = (await logText(engine, wf.metadata.name!)).join('\n');
  assert.ok(!text.includes('leaked-secret-value'), text);
  const names = text
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split('=')[0]);
  for (const n of names)
    assert.ok(['PATH', 'HOME', 'LANG', 'PWD', 'SHLVL', 'ARGO_CONTAINER_NAME', 'ARGO_POD_NAME', 'ARGO_NODE_ID'].includes(n!), n);
  // ls itself holds one descriptor (3) for the folder it lists.
  assert.match(text, /fds: 0 1 2 3$/m);
});

test('a step sees no secret, no data folder, no home; it is uid 65534 with no capabilities', bwrapOnly, async (t) => {
  const outside = await mkdtemp(path.join(os.homedir(), '.ogdc-iso-'));
  const { engine, dataDir } = await harness(t, { sandbox: 'bwrap', dataDir: outside });
  // After the engine's close (registered by harness): it may still be writing in its data folder until then.
  t.after(() => rm(outside, { recursive: true, force: true }));
  await writeFile(path.join(dataDir, 'secret.key'), 'data-folder-secret');
  const wf = await run(
    engine,
    step(
      `cat /etc/shadow 2>&1 | head -1; ls ${dataDir} 2>&1 | head -1; ls /root /home /var /work /run 2>&1 | head -5; id -u; grep CapEff /proc/self/status;` +
        ` echo x > /usr/ogdc-x 2>/dev/null || echo usr-read-only; echo planted > /ogdc-own-file && echo own-layer-writable`,
    ),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const text = (await logText(engine, wf.metadata.name!)).join('\n');
  assert.ok(!text.includes('root:'), text);
  assert.ok(!text.includes('secret.key'), text);
  assert.match(text, /^65534$/m);
  assert.match(text, /CapEff:\s+0+$/m);
  assert.match(text, /usr-read-only/);
  assert.equal(existsSync('/usr/ogdc-x') || existsSync('/ogdc-own-file'), false);
});

test('a step cannot connect to a loopback port opened on the host', bwrapOnly, async (t) => {
  const server = createServer((s) => s.end('reached\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { engine } = await harness(t, { sandbox: 'bwrap' });
  const wf = await run(
    engine,
    step(
      `(exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected) 2>/dev/null || bash -c 'echo > /dev/tcp/127.0.0.1/${port}' 2>/dev/null && echo connected || echo unreachable`,
    ),
  );
  const text = (await logText(engine, wf.metadata.name!)).join('\n');
  assert.match(text, /unreachable/);
  assert.doesNotMatch(text, /connected/);
});

test('limits: CPU time, file size and log size end in a message naming the variable', bwrapOnly, async (t) => {
  const { engine } = await harness(t, { sandbox: 'bwrap', limits: { cpuSeconds: 1, fileMb: 1, logMb: 1 } });
  const cpu = await run(engine, step('while :; do :; done'));
  assert.equal(cpu.status?.phase, 'Failed');
  assert.match(nodeByDisplay(cpu, cpu.metadata.name!).message ?? '', /exceeded OGDC_LOCAL_STEP_CPU_SECONDS \(1\)/);
  const big = await run(engine, step('yes > /tmp/big'));
  assert.equal(big.status?.phase, 'Failed');
  assert.match(nodeByDisplay(big, big.metadata.name!).message ?? '', /exceeded OGDC_LOCAL_STEP_FILE_MB \(1\)/);
  const noisy = await run(engine, step('head -c 20000000 /dev/zero | tr "\\0" x; echo'));
  const log = await readFile(path.join(os.tmpdir(), 'none'), 'utf8').catch(() => '');
  assert.equal(log, '');
  const lines = await logText(engine, noisy.metadata.name!);
  const total = lines.reduce((n, l) => n + l.length, 0);
  assert.ok(total <= 1024 * 1024 + 200, `kept ${total} bytes`);
  assert.match(lines.at(-1) ?? '', /log truncated: exceeded OGDC_LOCAL_STEP_LOG_MB \(1\)/);
});

test('a step past its activeDeadlineSeconds is killed with nothing left running', bwrapOnly, async (t) => {
  const { engine } = await harness(t, { sandbox: 'bwrap' });
  const wf = await run(engine, step('sleep 100000 & sleep 100000', '    activeDeadlineSeconds: 1'));
  assert.equal(wf.status?.phase, 'Failed');
  assert.match(nodeByDisplay(wf, wf.metadata.name!).message ?? '', /deadline/);
  // Give the kernel a moment to reap the namespace.
  await new Promise((r) => setTimeout(r, 300));
  const { execFileSync } = await import('node:child_process');
  const left = execFileSync('ps', ['-eo', 'args'])
    .toString()
    .split('\n')
    .filter((l) => l.includes('sleep 100000') && !l.includes('ps '));
  assert.deepEqual(left, []);
});

test('a link a step leaves in a shared volume leads nowhere outside it', bwrapOnly, async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'bwrap' });
  const secret = path.join(dataDir, 'db-secret');
  await writeFile(secret, 'host-secret');
  const vol = path.join(dataDir, 'volumes', 'shared');
  await mkdir(vol, { recursive: true });
  await symlink(secret, path.join(vol, 'link'));
  await symlink(dataDir, path.join(vol, 'dirlink'));
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: links-}
spec:
  entrypoint: main
  volumes: [{name: shared, persistentVolumeClaim: {claimName: shared}}]
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["ls /mnt/sub 2>&1; cat /mnt/v/link 2>&1 || true"]
      volumeMounts:
      - {name: shared, mountPath: /mnt/v, readOnly: true}
      - {name: shared, mountPath: /mnt/sub, subPath: dirlink}
    outputs: {parameters: [{name: p, valueFrom: {path: /mnt/v/link, default: none}}]}
`),
  );
  assert.notEqual(wf.status?.phase, 'Succeeded');
  assert.match(JSON.stringify(wf.status?.nodes), /leads outside the volume/);
  const ok = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: links-}
spec:
  entrypoint: main
  volumes: [{name: shared, persistentVolumeClaim: {claimName: shared}}]
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["cat /mnt/v/link 2>&1 || true; touch /mnt/v/new 2>/dev/null || echo volume-read-only"]
      volumeMounts: [{name: shared, mountPath: /mnt/v, readOnly: true}]
    outputs: {parameters: [{name: p, valueFrom: {path: /mnt/v/link, default: none}}]}
`),
  );
  assert.equal(ok.status?.phase, 'Succeeded');
  const node = nodeByDisplay(ok, ok.metadata.name!);
  assert.equal(node.outputs?.parameters?.[0]?.value, 'none');
  const text = (await logText(engine, ok.metadata.name!)).join('\n');
  assert.ok(!text.includes('host-secret'));
  assert.match(text, /volume-read-only/);
});

/** A non-loopback IPv4 address of this machine outside the blocked private ranges, if it has one. */
function publicAddress(): string | undefined {
  const privateRe = /^(10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/;
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !privateRe.test(a.address)) return a.address;
  return undefined;
}

async function listen(host: string): Promise<{ port: number; close: () => void }> {
  const server = createServer((s) => s.end('reached-stand-in\n'));
  await new Promise<void>((r) => server.listen(0, host, r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

const egressProbe = (loopPort: number, addr: string | undefined, port: number) =>
  [
    'ip -4 -o addr show tap0 | grep -q "inet " && echo has-tap0',
    `(exec 3<>/dev/tcp/127.0.0.1/${loopPort} && echo loopback-connected) 2>/dev/null || echo loopback-unreachable`,
    `(exec 3<>/dev/tcp/10.0.2.2/${loopPort} && echo gateway-connected) 2>/dev/null || echo gateway-unreachable`,
    `(exec 3<>/dev/tcp/10.255.255.53/53 && echo private-connected) 2>&1 | grep -q -e unreachable -e "No route" && echo private-unreachable`,
    addr ? `(exec 3<>/dev/tcp/${addr}/${port}; cat <&3) 2>&1 || echo stand-in-failed` : 'true',
    'cat /etc/resolv.conf',
  ].join('; ');

const fetchLike = (script: string) =>
  step(`bash -c ${JSON.stringify(script).replace(/\$/g, '\\$')}`, '    metadata: {annotations: {ogdc.dataone.org/network: egress}}');

test('egress: the annotated step reaches a non-loopback address, not the host loopback nor private ranges', bwrapOnly, async (t) => {
  const loop = await listen('127.0.0.1');
  t.after(loop.close);
  const addr = publicAddress();
  const standIn = addr ? await listen(addr) : undefined;
  if (standIn) t.after(standIn.close);
  const { engine } = await harness(t, { sandbox: 'bwrap' });
  const wf = await run(engine, fetchLike(egressProbe(loop.port, addr, standIn?.port ?? 0)));
  const text = (await logText(engine, wf.metadata.name!)).join('\n');
  assert.equal(wf.status?.phase, 'Succeeded', text);
  assert.match(text, /has-tap0/);
  assert.match(text, /loopback-unreachable/);
  assert.match(text, /gateway-unreachable/);
  assert.match(text, /private-unreachable/);
  assert.match(text, /nameserver 10\.0\.2\.3/);
  // Without a non-loopback address here only the refusals above can be shown.
  if (addr) assert.match(text, /reached-stand-in/);
});

test('egress: OGDC_LOCAL_STEP_NETWORK=egress gives every step outbound access; by default a step has none', bwrapOnly, async (t) => {
  const loop = await listen('127.0.0.1');
  t.after(loop.close);
  const addr = publicAddress();
  const standIn = addr ? await listen(addr) : undefined;
  if (standIn) t.after(standIn.close);
  const probe = `bash -c ${JSON.stringify(egressProbe(loop.port, addr, standIn?.port ?? 0)).replace(/\$/g, '\\$')}`;
  const closed = await harness(t);
  const none = await run(closed.engine, step(`${probe}; ip -o link | grep -c -v ' lo:' || true`));
  const noneText = (await logText(closed.engine, none.metadata.name!)).join('\n');
  assert.doesNotMatch(noneText, /has-tap0|reached-stand-in|loopback-connected/);
  const { engine } = await harness(t, { sandbox: 'bwrap', limits: { network: 'egress' } });
  const wf = await run(engine, step(probe));
  const text = (await logText(engine, wf.metadata.name!)).join('\n');
  assert.match(text, /has-tap0/);
  assert.match(text, /loopback-unreachable/);
  assert.match(text, /private-unreachable/);
  if (addr) assert.match(text, /reached-stand-in/);
});

test(
  'egress without slirp4netns: the engine says so at start and the step that needs network fails naming what to install',
  bwrapOnly,
  async (t) => {
    // The network tools are looked up on a PATH without slirp4netns (bubblewrap's own probe keeps the real PATH).
    const empty = await mkdtemp(path.join(os.tmpdir(), 'ogdc-no-tools-'));
    t.after(() => rm(empty, { recursive: true, force: true }));
    const { engine, logs } = await harness(t, { sandbox: 'bwrap', networkToolsPath: empty });
    assert.ok(
      logs.some((l) => /steps with network .*will fail: .*slirp4netns.*apt-get install slirp4netns/.test(l)),
      logs.join('\n'),
    );
    const wf = await run(engine, fetchLike('echo reached-network'));
    assert.equal(wf.status?.phase, 'Failed');
    const message = nodeByDisplay(wf, wf.metadata.name!).message ?? '';
    assert.match(
      message,
      /the step needs network: steps with network need slirp4netns: slirp4netns failed .*ENOENT.*apt-get install slirp4netns/,
    );
    assert.doesNotMatch((await logText(engine, wf.metadata.name!)).join('\n'), /reached-network/);
    // A step without network still runs.
    assert.equal((await run(engine, step('echo ok'))).status?.phase, 'Succeeded');
  },
);

test(
  'cgroups: a fork bomb is bounded by OGDC_LOCAL_STEP_PROCESSES and a memory hog by OGDC_LOCAL_STEP_MEMORY_MB, also as root',
  bwrapOnly,
  async (t) => {
    const { Cgroups } = await import('../../../src/engine/local/pods/cgroups.ts');
    const probe = await Cgroups.create();
    if (typeof probe === 'string') return t.skip(`no cgroups here: ${probe}`);
    await probe.close();
    const { engine, logs } = await harness(t, { sandbox: 'bwrap', limits: { processes: 20, memoryMb: 64 } });
    assert.ok(!logs.some((l) => l.includes('no cgroups')), logs.join('\n'));
    const bomb = await run(engine, step('for i in $(seq 200); do sleep 31.7 & done; wait'));
    assert.equal(bomb.status?.phase, 'Failed');
    assert.match(nodeByDisplay(bomb, bomb.metadata.name!).message ?? '', /exceeded OGDC_LOCAL_STEP_PROCESSES \(20\)/);
    const hog = await run(engine, step('head -c 400000000 /dev/zero | tail -c 300000000 > /dev/null'));
    const hogText = (await logText(engine, hog.metadata.name!)).join('\n');
    assert.equal(hog.status?.phase, 'Failed', hogText);
    assert.match(nodeByDisplay(hog, hog.metadata.name!).message ?? '', /exceeded OGDC_LOCAL_STEP_MEMORY_MB \(64\)/);
    // Nothing of either step outlives its node.
    const { execFileSync } = await import('node:child_process');
    const left = execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter((l) => /^sleep 31\.7$/.test(l.trim()));
    assert.deepEqual(left, []);
  },
);
