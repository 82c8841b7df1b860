// Pods get the host's /etc as one read-only copy without its secrets (pods/etc-mirror.ts) once the engine has
// made it, and the host's /etc with covered secrets before: both show the same files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, nodeByDisplay, run, shellPod } from './helpers.ts';

const bwrapOnly = { skip: !(await bwrapWorks()) && 'bubblewrap is not usable here' };

/** The engine's copies of /etc under its data folder. */
function copies(dataDir: string): string[] {
  const aside = path.join(dataDir, 'sandbox-aside');
  if (!existsSync(aside)) return [];
  return readdirSync(aside).flatMap((pool) =>
    existsSync(path.join(aside, pool)) ? readdirSync(path.join(aside, pool)).filter((n) => /^etc-\d+$/.test(n)) : [],
  );
}

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

test(
  'once its copy of /etc is made, a pod gets it as one mount: the same files, secrets as empty placeholders',
  { ...bwrapOnly, timeout: 180_000 },
  async (t) => {
    const h = await harness(t, { sandbox: 'bwrap' });
    // What the pod reports: where its /etc comes from, the checksum of a public file, a secret's size, a secret folder's entries.
    const script = [
      `grep ' /etc ' /proc/self/mountinfo | cut -d' ' -f4`,
      'sha256sum /etc/passwd | cut -d" " -f1',
      'wc -c < /etc/shadow 2>/dev/null || echo none',
      'ls -A /etc/ssh 2>/dev/null | wc -l',
      `grep -c '' /proc/self/mountinfo`,
      'cat /etc/resolv.conf',
    ].join('; ');
    const first = await run(h.engine, shellPod('{name: before-copy}', script));
    assert.equal(first.status?.phase, 'Succeeded', nodeByDisplay(first, 'before-copy').message);
    const until = Date.now() + 60_000;
    while (copies(h.dataDir).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.ok(copies(h.dataDir).length > 0, 'the engine made its copy of /etc');
    const second = await run(h.engine, shellPod('{name: with-copy}', script));
    assert.equal(second.status?.phase, 'Succeeded', nodeByDisplay(second, 'with-copy').message);
    const [hostSource, passwd, shadow, ssh, mounts, resolver] = await logText(h.engine, 'with-copy');
    const before = await logText(h.engine, 'before-copy');
    assert.match(hostSource ?? '', /\/etc-\d+$/, 'the pod’s /etc is the copy');
    assert.equal(passwd, sha(readFileSync('/etc/passwd')), 'a public file reads as on the host');
    assert.equal(before[1], passwd);
    if (existsSync('/etc/shadow')) assert.equal(shadow, '0', '/etc/shadow reads as an empty file');
    if (existsSync('/etc/ssh')) assert.equal(ssh, '0', '/etc/ssh reads as an empty folder');
    assert.deepEqual(before.slice(2, 4), [shadow, ssh], 'the covered host /etc shows the same');
    if (lstatSync('/etc/resolv.conf', { throwIfNoEntry: false })?.isFile())
      assert.equal(resolver, before[5], 'the copy names the resolver the bind over the host file gave');
    assert.ok(Number(mounts) < Number(before[4]), `fewer mounts with the copy (${mounts} against ${before[4]})`);
  },
);
