import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hashPassword, verifyPassword } from '../../src/service/auth/passwords.ts';
import { hasherProcessId } from '../../src/service/auth/hasher.ts';

/** The nice value of a process, field 19 of /proc/PID/stat. */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('the password hasher process', () => {
  it('hashes with argon2id and verifies, rejecting wrong passwords and malformed hashes', async () => {
    const hash = await hashPassword('correct horse');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await verifyPassword(hash, 'correct horse'), true);
    assert.equal(await verifyPassword(hash, 'wrong horse'), false);
    assert.equal(await verifyPassword('not-a-hash', 'x'), false);
  });

  it('runs at the lowest CPU priority, apart from the service process', async () => {
    await hashPassword('x');
    const pid = hasherProcessId();
    assert.ok(pid && pid !== process.pid);
    assert.equal(niceOf(pid), 19);
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
