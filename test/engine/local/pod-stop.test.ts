// A stop that lands while a sandboxed pod is still starting (before its spawn, in the shell that joins its
// cgroups, in bubblewrap while it sets up the sandbox, right after) leaves no process of the pod behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, shellPod } from './helpers.ts';

const bwrapOnly = { skip: !(await bwrapWorks()) && 'bubblewrap is not usable here' };

/** Pids whose command line holds `marker` (a zombie has none, so only live processes count). */
function withMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Like `pause`, but does not hold the test process open once the test is over. */
const giveUpAfter = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Resolves once a process with `marker` exists (the pod's first process), or after `ms`. */
async function appeared(marker: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (withMarker(marker).length > 0) return true;
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

// Each pod runs `sleep 1000.<unique digits>`: the number is its marker in every process of the pod (the shell
// prefix, bubblewrap, the sleep itself), and it sleeps long enough that only the stop can end it.
test('a stop at any moment of a sandboxed pod’s start leaves no process behind', { ...bwrapOnly, timeout: 900_000 }, async (t) => {
  const h = await harness(t, { sandbox: 'bwrap', maxProcesses: 2 });
  const seen = new Set<string>();
  t.after(() => {
    // Whatever survived is killed so the engine can close (the assertion below has failed then).
    for (const marker of seen) for (const pid of withMarker(marker)) kill(pid);
  });
  // Stops after a delay from the submit (before and around the spawn), and after a delay from the moment the
  // pod's first process exists (its shell prefix, bubblewrap setting up the sandbox, the sleep started).
  const points = [
    ...[0, 1, 2, 5, 10, 20, 50, 100].map((ms) => ({ from: 'submit' as const, ms })),
    ...[0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30].map((ms) => ({ from: 'process' as const, ms })),
  ];
  const problems: string[] = [];
  for (let round = 0; round < 3; round++) {
    for (const point of points) {
      const marker = `1000.${round}${String(points.indexOf(point)).padStart(2, '0')}${String(process.pid)}${Date.now() % 100000}`;
      seen.add(marker);
      const submitted = await h.engine.submit(shellPod('{generateName: stop-during-start-}', `exec sleep ${marker}`));
      const name = submitted.metadata.name!;
      if (point.from === 'process') await appeared(marker, 30_000);
      await pause(point.ms);
      // Generous: the stop ends the pod at once; a pod whose process survived never ends.
      const ended = await Promise.race([h.engine.stop(name).then(() => h.engine.wait(name)), giveUpAfter(60_000).then(() => undefined)]);
      const left = withMarker(marker);
      const where = `stop ${point.ms} ms after the ${point.from} (round ${round})`;
      if (left.length > 0) problems.push(`${where}: processes ${left.join(', ')} survived`);
      else if (ended === undefined) problems.push(`${where}: the workflow did not end`);
      else if (ended.status?.phase !== 'Failed') problems.push(`${where}: phase ${String(ended.status?.phase)}`);
      for (const pid of left) kill(pid);
    }
  }
  assert.deepEqual(problems, []);
});

// An egress pod's main waits at its network gate until slirp4netns has given its namespace a network
// (pods/network.ts). Here slirp4netns takes 30 s to start, so the stop always lands during that wait.
test('a stop while an egress pod waits for its network leaves no process behind', { ...bwrapOnly, timeout: 120_000 }, async (t) => {
  const tools = await mkdtemp(path.join(os.tmpdir(), 'ogdc-slow-net-'));
  const started = path.join(tools, 'started');
  for (const name of ['slirp4netns', 'unshare', 'nsenter', 'ip']) {
    const real = execFileSync('sh', ['-c', `command -v ${name}`])
      .toString()
      .trim();
    // Only slirp4netns is slow, and only when it is run for a pod (the start-up check runs `--version`).
    const slow = name === 'slirp4netns' ? `[ "$1" = --version ] || { echo "$$" >> ${started}; sleep 30; }\n` : '';
    await writeFile(path.join(tools, name), `#!/bin/sh\n${slow}exec ${real} "$@"\n`, { mode: 0o755 });
  }
  const h = await harness(t, { sandbox: 'bwrap', networkToolsPath: tools });
  const marker = `1000.9${String(process.pid)}${Date.now() % 100000}`;
  t.after(async () => {
    for (const pid of withMarker(marker)) kill(pid);
    for (const pid of (await readFile(started, 'utf8').catch(() => '')).split('\n').filter(Boolean)) kill(Number(pid));
    await rm(tools, { recursive: true, force: true });
  });
  const wf = shellPod(
    '{generateName: stop-at-gate-}',
    `exec sleep ${marker}`,
    '    metadata: {annotations: {ogdc.dataone.org/network: egress}}',
  );
  const name = (await h.engine.submit(wf)).metadata.name!;
  const until = Date.now() + 20_000;
  while (!(await readFile(started, 'utf8').catch(() => '')) && Date.now() < until) await pause(20);
  assert.ok(withMarker(marker).length > 0, 'the pod waits at its gate: its first process exists');
  const stopped = Date.now();
  const ended = await Promise.race([h.engine.stop(name).then(() => h.engine.wait(name)), giveUpAfter(20_000).then(() => undefined)]);
  assert.ok(ended, 'the workflow ends after the stop, without waiting for the network');
  assert.equal(ended.status?.phase, 'Failed');
  assert.ok(Date.now() - stopped < 20_000);
  assert.deepEqual(withMarker(marker), [], 'no process of the pod survives the stop');
});
