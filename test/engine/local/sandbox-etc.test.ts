// Files and folders anywhere under /etc that are not world-readable read as empty placeholders in a pod (the
// pod's uid maps to the service's, so an owner-only file of the service's uid would otherwise be readable).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, nodeByDisplay, run, shellPod } from './helpers.ts';

const usable = (await bwrapWorks()) && process.getuid?.() === 0;
const rootOnly = { skip: !usable && 'needs bubblewrap and a root test process (it writes below /etc)' };

test('a non-world-readable file or folder deep below /etc is covered in every pod', { ...rootOnly, timeout: 180_000 }, async (t) => {
  const base = `/etc/ogdc-test-${process.pid}`;
  t.after(() => rm(base, { recursive: true, force: true }));
  await mkdir(`${base}/deep/locked`, { recursive: true });
  await writeFile(`${base}/deep/secret.conf`, 'the-deep-secret\n', { mode: 0o600 });
  await writeFile(`${base}/deep/locked/inner`, 'the-locked-secret\n');
  await chmod(`${base}/deep/locked`, 0o700);
  await writeFile(`${base}/deep/open.conf`, 'visible\n', { mode: 0o644 });
  const h = await harness(t, { sandbox: 'bwrap' });
  const script = `cat ${base}/deep/open.conf; cat ${base}/deep/secret.conf; ls ${base}/deep/locked; cat ${base}/deep/locked/inner 2>/dev/null; echo end`;
  const wf = await run(h.engine, shellPod('{name: deep-etc}', script));
  assert.equal(wf.status?.phase, 'Succeeded', nodeByDisplay(wf, 'deep-etc').message);
  const out = (await logText(h.engine, 'deep-etc')).join('\n');
  assert.equal(out, 'visible\nend');
  // The same in the engine's copy of /etc (pods/etc-mirror.ts), which later pods get once it is made.
  const aside = path.join(h.dataDir, 'sandbox-aside');
  const copied = () =>
    existsSync(aside) && readdirSync(aside).some((pool) => readdirSync(path.join(aside, pool)).some((n) => /^etc-\d+$/.test(n)));
  for (const until = Date.now() + 60_000; !copied() && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
  assert.ok(copied(), 'the engine made its copy of /etc');
  const again = await run(h.engine, shellPod('{name: deep-etc-copy}', `grep -q '/etc-[0-9]* /etc ' /proc/self/mountinfo && ${script}`));
  assert.equal(again.status?.phase, 'Succeeded', nodeByDisplay(again, 'deep-etc-copy').message);
  assert.equal((await logText(h.engine, 'deep-etc-copy')).join('\n'), 'visible\nend');
});
