// The bubblewrap sandbox: which host folders it rebuilds, reused root layers, isolation between pods.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bwrapArgs, sandboxLayout } from '../../../src/engine/local/pods/sandbox-layout.ts';
import { RootPool } from '../../../src/engine/local/pods/sandbox-roots.ts';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

const HAS_BWRAP = await bwrapWorks();
const bwrapOnly = { skip: !HAS_BWRAP && 'bubblewrap is not usable here' };

test('a pod sees the host only through an allowlist: system folders read-only, /etc without its secrets', () => {
  const layout = sandboxLayout(['/output_dir/out.txt', '/home/someone/out.txt'], [], [], false);
  const args = bwrapArgs('/L', layout, [], undefined, '/');
  assert.deepEqual(args.slice(0, 3), ['--bind', '/L', '/']);
  const bound = new Set(args.filter((_, i) => args[i - 1] === '--ro-bind' || args[i - 1] === '--bind'));
  assert.ok(bound.has('/usr'));
  for (const hidden of ['/home', '/root', '/var', '/run', '/srv', '/work', '/etc/shadow', '/etc/gshadow', '/etc/ssh'])
    assert.equal(bound.has(hidden), false, hidden);
  assert.equal(layout.entries.get('/home/someone')?.kind, 'dir', 'a declared path below a hidden folder gets an empty folder');
  assert.ok(args.includes('--tmpfs') && args.includes('--unshare-user') && args.includes('--unshare-net'));
});

test('a declared top-level folder, or a script, makes the layer the pod root', () => {
  for (const layout of [sandboxLayout(['/output_dir/a'], [], [], false), sandboxLayout([], [], [], true)]) {
    assert.equal(layout.rootIsLayer, true);
    const args = bwrapArgs('/L', layout, [], '/S', '/');
    assert.deepEqual(args.slice(0, 3), ['--bind', '/L', '/']);
    assert.ok(args.join(' ').includes('--ro-bind /usr /usr'));
  }
});

test('a released layer is wiped back to its entries and handed to the next pod', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-roots-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pool = new RootPool(path.join(dir, 'pool'));
  const layout = sandboxLayout(['/output_dir/a'], [], [], true);
  const root = await pool.acquire(layout);
  const symlinked = [...layout.entries].find(([, e]) => e.kind === 'symlink');
  // What a pod may leave behind: files in /tmp and new folders, a replaced symlink, a removed entry.
  await writeFile(path.join(root, 'tmp', 'secret'), 'x');
  await writeFile(path.join(root, 'output_dir'), 'a file where nothing was');
  if (symlinked) {
    await rm(path.join(root, symlinked[0]));
    await symlink('/elsewhere', path.join(root, symlinked[0]));
  }
  await rm(path.join(root, 'argo'), { recursive: true });
  await pool.release(root, layout);
  const again = await pool.acquire(layout);
  assert.equal(again, root);
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
  assert.equal(existsSync(path.join(root, 'output_dir')), false);
  assert.equal(existsSync(path.join(root, 'argo', 'staging', 'script')), true);
  if (symlinked && symlinked[1].kind === 'symlink') assert.equal(await readlink(path.join(root, symlinked[0])), symlinked[1].target);
  const other = await pool.acquire(layout);
  assert.notEqual(other, root, 'a layer in use is not handed out twice');
  await pool.close();
  assert.equal(existsSync(path.join(dir, 'pool')), false);
});

test('with bubblewrap, pods cannot remount the host and do not see what earlier pods wrote', bwrapOnly, async (t) => {
  const { engine, dataDir } = await harness(t, { sandbox: 'bwrap', maxProcesses: 1 });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: isolation-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: probe}
    - - {name: second, template: probe}
  - name: probe
    container:
      image: busybox
      command: [sh, -c]
      args:
      - |
        ls /tmp/left-behind /output_dir/left-behind /made-here 2>/dev/null || echo clean
        echo x > /tmp/left-behind; mkdir -p /output_dir /made-here; echo x > /output_dir/left-behind
        mount -o remount,rw / 2>/dev/null && echo remounted || echo remount refused
        touch /usr/ogdc-should-fail 2>/dev/null || echo read-only
    outputs: {parameters: [{name: p, valueFrom: {path: /output_dir/left-behind}}]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  for (const step of ['first', 'second']) {
    const id = nodeByDisplay(wf, step).id;
    assert.deepEqual(await logText(engine, wf.metadata.name!, id), ['clean', 'remount refused', 'read-only'], step);
  }
  assert.equal(existsSync('/usr/ogdc-should-fail'), false);
  // One layer served both pods (maxProcesses 1).
  const pools = await readdir(path.join(dataDir, 'sandbox'));
  assert.equal(pools.length, 1);
  assert.deepEqual(await readdir(path.join(dataDir, 'sandbox', pools[0]!)), ['0']);
});
