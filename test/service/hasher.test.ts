import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { hashPassword, verifyPassword } from '../../src/service/auth/passwords.ts';
import { HASHER_THREADS, hasherCommand, hasherProcessId } from '../../src/service/auth/hasher.ts';

/** Fields of /proc/PID/task/TID/stat after the command name (field 3 is index 0). */
function statFields(pid: number, tid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The scheduling policy (field 41) of every thread of a process. */
function threadsOf(pid: number): { policy: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => ({ policy: Number(statFields(pid, Number(tid))[38]) }));
}

const SCHED_IDLE = 5;

describe('the password hasher process', () => {
  it('hashes with argon2id and verifies, rejecting wrong passwords and malformed hashes', async () => {
    const hash = await hashPassword('correct horse');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await verifyPassword(hash, 'correct horse'), true);
    assert.equal(await verifyPassword(hash, 'wrong horse'), false);
    assert.equal(await verifyPassword('not-a-hash', 'x'), false);
  });

  it('runs apart from the service process at SCHED_IDLE (every thread) and nice 19, with one core left free', async () => {
    await hashPassword('x');
    const pid = hasherProcessId();
    assert.ok(pid && pid !== process.pid);
    // chrt is part of util-linux, which every Debian system has.
    const threads = threadsOf(pid);
    for (const thread of threads) assert.equal(thread.policy, SCHED_IDLE);
    assert.equal(statFields(pid, pid)[16], '19');
    assert.ok(threads.length > 1);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes(`UV_THREADPOOL_SIZE=${HASHER_THREADS}`));
    assert.equal(HASHER_THREADS, Math.max(1, (await import('node:os')).availableParallelism() - 1));
  });

  it('starts node directly where there is no chrt', () => {
    const direct = hasherCommand(undefined);
    assert.equal(direct.command, process.execPath);
    assert.match(direct.args.join(' '), /hasher-process\.mjs$/);
    const idle = hasherCommand('/usr/bin/chrt');
    assert.deepEqual(idle.args.slice(0, 3), ['--idle', '0', process.execPath]);
  });

  it('starts a new hasher when the old one died', async () => {
    await hashPassword('x');
    const first = hasherProcessId()!;
    process.kill(first, 'SIGKILL');
    while (hasherProcessId() === first) await new Promise((r) => setTimeout(r, 10));
    const hash = await hashPassword('after restart');
    assert.equal(await verifyPassword(hash, 'after restart'), true);
    assert.notEqual(hasherProcessId(), first);
  });
});
