// Sandbox layers: what one pod leaves in its layer never reaches the next; input artifacts in system folders;
// node messages never name host paths.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bwrapArgs, sandboxLayout } from '../../../src/engine/local/pods/sandbox-layout.ts';
import { RootPool } from '../../../src/engine/local/pods/sandbox-roots.ts';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, nodeByDisplay, run, shellPod } from './helpers.ts';

const bwrapOnly = { skip: !(await bwrapWorks()) && 'bubblewrap is not usable here' };

const pod = (name: string, script: string, extra = '') => shellPod(`{name: ${name}}`, script, extra);

test('/etc is bound whole with every secret in it covered by an empty placeholder, after the bind', () => {
  const layout = sandboxLayout([], [], [], false);
  const placeholders = { file: '/P/file', dir: '/P/dir' };
  const args = bwrapArgs('/L', layout, [], undefined, '/', { network: 'none', tmpBytes: 1, placeholders });
  const binds = args.flatMap((a, i) => (a === '--ro-bind' || a === '--bind' ? [[args[i + 1], args[i + 2]] as const] : []));
  const etc = binds.findIndex(([src, dest]) => src === '/etc' && dest === '/etc');
  assert.ok(etc >= 0, 'the host /etc bound whole');
  for (const secret of ['shadow', 'gshadow', 'ssh', 'ssl/private'].map((n) => `/etc/${n}`).filter((p) => existsSync(p))) {
    const cover = binds.findIndex(([, dest]) => dest === secret);
    assert.ok(cover > etc, `${secret} covered after the /etc bind`);
    assert.ok([placeholders.file, placeholders.dir].includes(binds[cover]![0]!), secret);
    assert.equal(
      binds.some(([src]) => src === secret),
      false,
      `${secret} itself is never a source`,
    );
  }
  assert.ok(binds.length < 40, `few mounts: ${binds.length}`);
});

test('a released layer is replaced whole: modes, fifos, sockets, links and unreadable folders are gone', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-layers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pool = new RootPool(path.join(dir, 'pool'));
  const layout = sandboxLayout(['/output_dir/a'], [], [], true);
  const root = await pool.acquire(layout);
  const fresh = async (r: string) =>
    Promise.all(
      (await readdir(r)).sort().map(async (n) => {
        const st = await lstat(path.join(r, n));
        return `${n} ${st.mode.toString(8)}`;
      }),
    );
  const before = await fresh(root);
  const rootMode = (await lstat(root)).mode;
  // What a hostile pod may do to its own layer.
  execFileSync('mkfifo', [path.join(root, 'tmp', 'fifo')]);
  execFileSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(path.join(root, 'sock'))})`]);
  await symlink('/etc/passwd', path.join(root, 'tmp', 'link'));
  await mkdir(path.join(root, 'locked', 'deep'), { recursive: true });
  await writeFile(path.join(root, 'locked', 'deep', 'secret'), 'workflow A');
  await chmod(path.join(root, 'locked', 'deep'), 0o000);
  await chmod(path.join(root, 'locked'), 0o000);
  await chmod(path.join(root, 'tmp'), 0o700);
  await chmod(path.join(root, 'argo'), 0o777);
  await chmod(root, 0o700);
  await pool.release(root, layout);
  const again = await pool.acquire(layout);
  assert.equal(again, root, 'the next pod gets a layer at the same place');
  assert.deepEqual(await fresh(again), before);
  assert.equal((await lstat(again)).mode, rootMode);
  assert.equal(existsSync(path.join(again, 'locked')) || existsSync(path.join(again, 'sock')), false);
  assert.deepEqual(await readdir(path.join(again, 'tmp')), []);
  await pool.close();
  assert.equal(existsSync(path.join(dir, 'pool')) || existsSync(path.join(dir, 'pool-aside')), false, 'used layers removed');
});

test('a pod of another workflow sees nothing a previous pod planted in its layer', bwrapOnly, async (t) => {
  const { engine } = await harness(t, { sandbox: 'bwrap', maxProcesses: 1 });
  const look = 'ls -A / | tr "\\n" " "; echo; stat -c "%a %Y" / /output_dir 2>&1; ls -A /output_dir 2>&1';
  const outputs = '    outputs: {parameters: [{name: p, valueFrom: {path: /output_dir/p, default: none}}]}';
  const baseline = await run(engine, pod('layers-baseline', look, outputs));
  const plant = await run(
    engine,
    pod(
      'layers-plant',
      'mkdir -p /output_dir/deep && echo secret-of-a > /output_dir/deep/s && chmod 000 /output_dir/deep /output_dir; ' +
        'mkfifo /fifo; ln -s /etc/passwd /link; python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\'/sock\')"; ' +
        'chmod 700 /; touch -d 2001-01-01 / ; echo planted',
      outputs,
    ),
  );
  assert.match((await logText(engine, plant.metadata.name!)).join('\n'), /planted/);
  const after = await run(engine, pod('layers-after', `${look}; cat /output_dir/deep/s 2>&1`, outputs));
  const seen = (await logText(engine, after.metadata.name!)).join('\n');
  const base = (await logText(engine, baseline.metadata.name!)).join('\n');
  assert.doesNotMatch(seen, /secret-of-a|fifo|sock|link|2001/);
  assert.equal(seen.split('\n')[0], base.split('\n')[0], 'the same entries at / as a fresh layer');
  assert.equal(seen.split('\n')[1]?.split(' ')[0], base.split('\n')[1]?.split(' ')[0], 'the same mode of /');
});

test('an input artifact in a system folder appears at its path, as in Argo', bwrapOnly, async (t) => {
  const { engine } = await harness(t, { sandbox: 'bwrap' });
  for (const p of ['/bin/ogdc-input', '/etc/ogdc/input', '/usr/local/ogdc-input']) {
    const wf = await run(
      engine,
      pod(
        `system-input-${p.split('/')[1]}`,
        `cat ${p}; cat /etc/shadow 2>/dev/null; true`,
        `    inputs:\n      artifacts:\n      - {name: a, path: ${p}, raw: {data: brought-by-input}}`,
      ),
    );
    assert.equal(wf.status?.phase, 'Succeeded', `${p}: ${nodeByDisplay(wf, wf.metadata.name!).message}`);
    const text = (await logText(engine, wf.metadata.name!)).join('\n');
    assert.match(text, /brought-by-input/, p);
    assert.doesNotMatch(text, /root:/, p);
  }
});

test("the folders of output paths are the program's to make, as in Argo (map-reduce: mkdir /mnt/out beside an input)", async (t) => {
  for (const sandbox of (await bwrapWorks()) ? (['bwrap', 'none'] as const) : (['none'] as const)) {
    const { engine } = await harness(t, { sandbox });
    const outputs = `    inputs:
      artifacts:
      - {name: part, path: /mnt/in/part.json, raw: {data: '{"foo": 1}'}}
    outputs:
      parameters:
      - {name: n, valueFrom: {path: /mnt/out/n}}
      artifacts:
      - {name: part, path: /mnt/out/part.json, archive: {none: {}}}`;
    const made = await run(
      engine,
      pod(`out-folder-${sandbox}`, 'mkdir /mnt/out && cp /mnt/in/part.json /mnt/out/ && echo 3 > /mnt/out/n', outputs),
    );
    const node = nodeByDisplay(made, made.metadata.name!);
    assert.equal(made.status?.phase, 'Succeeded', `${sandbox}: ${node.message}`);
    assert.deepEqual(node.outputs?.parameters, [{ name: 'n', value: '3' }]);
    // Nor is a deeper folder made: writing into it without mkdir fails (busybox has no /outputs/text).
    const unmade = await run(
      engine,
      pod(
        `out-unmade-${sandbox}`,
        'echo x > /outputs/text/data',
        `    outputs:\n      artifacts:\n      - {name: t, path: /outputs/text/data}`,
      ),
    );
    assert.equal(unmade.status?.phase, 'Failed', sandbox);
    assert.match((await logText(engine, unmade.metadata.name!)).join('\n'), /outputs\/text\/data/, sandbox);
  }
});

test('a pod that cannot be set up fails with a message naming pod paths, never the data folder', async (t) => {
  for (const sandbox of (await bwrapWorks()) ? (['bwrap', 'none'] as const) : (['none'] as const)) {
    const { engine, dataDir } = await harness(t, { sandbox });
    const wf = await run(
      engine,
      pod(
        `setup-fails-${sandbox}`,
        'true',
        '    inputs:\n      artifacts:\n      - {name: a, path: /tmp/in, raw: {data: x}}\n      - {name: b, path: /tmp/in/b, raw: {data: y}}',
      ),
    );
    const message = nodeByDisplay(wf, wf.metadata.name!).message ?? '';
    assert.equal(wf.status?.phase, 'Error', message);
    assert.match(message, /input artifact 'b': \w+ \/tmp\/in(\/b)?: E[A-Z]+/, message);
    assert.ok(!message.includes(dataDir) && !message.includes('sandbox'), message);
  }
});

test('a step with network runs the network programs found on networkToolsPath, not those of the service PATH', bwrapOnly, async (t) => {
  const tools = await mkdtemp(path.join(os.tmpdir(), 'ogdc-tools-'));
  t.after(() => rm(tools, { recursive: true, force: true }));
  const calls = path.join(tools, 'calls');
  for (const name of ['slirp4netns', 'unshare', 'nsenter', 'ip']) {
    const real = execFileSync('sh', ['-c', `command -v ${name}`])
      .toString()
      .trim();
    await writeFile(path.join(tools, name), `#!/bin/sh\necho ${name} >> ${calls}\nexec ${real} "$@"\n`, { mode: 0o755 });
  }
  const { engine } = await harness(t, { sandbox: 'bwrap', networkToolsPath: tools });
  await writeFile(calls, '');
  const wf = await run(
    engine,
    pod(
      'network-tools',
      'ip -o link show tap0 >/dev/null && echo has-tap0',
      '    metadata: {annotations: {ogdc.dataone.org/network: egress}}',
    ),
  );
  const text = (await logText(engine, wf.metadata.name!)).join('\n');
  assert.equal(wf.status?.phase, 'Succeeded', `${nodeByDisplay(wf, wf.metadata.name!).message} ${text}`);
  assert.match(text, /has-tap0/);
  const used = new Set((await readFile(calls, 'utf8')).split('\n').filter(Boolean));
  assert.deepEqual([...used].sort(), ['ip', 'nsenter', 'slirp4netns', 'unshare']);
});
