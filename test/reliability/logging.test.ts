import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { dbTargets } from '../helpers/db.ts';
import { form, startTestService, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET, type TestService } from '../helpers/service.ts';
import { signDownload } from '../../src/service/outputs/signing.ts';

/** A log destination that keeps every line. */
function logBuffer() {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      partial += String(chunk);
      const parts = partial.split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

for (const target of dbTargets()) {
  describe(`operational logs on ${target.name}`, () => {
    let svc: TestService;
    const log = logBuffer();
    before(async () => {
      svc = await startTestService(target, {}, { fastify: { logger: { level: 'info', stream: log.stream } } });
    });
    after(() => svc.stop());

    it('writes JSON lines with a request id and never a password, a token, a signature or the authorization header', async () => {
      const userPassword = 'carols-Very-Secret-pw-8812';
      const token = await svc.userToken('carol', userPassword);
      const admin = await svc.adminToken();
      await svc.app.inject({ method: 'POST', url: '/token', ...form({ username: 'carol', password: 'wrong-Guess-4471' }) });
      await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } });
      await svc.app.inject({ url: '/runs', headers: { authorization: `Bearer ${admin}` } });
      await svc.app.inject({ url: '/user', headers: { authorization: `Bearer ${token}tampered` } });
      await svc.app.inject({
        method: 'PUT',
        url: '/user/password',
        ...form({ current_password: userPassword, new_password: 'carols-New-Secret-pw-9923' }, token),
      });
      const path = '/outputs/some-workflow/out.zip';
      const query = signDownload(TEST_JWT_SECRET, path, Math.floor(Date.now() / 1000) + 600);
      const signature = new URLSearchParams(query).get('signature')!;
      await svc.app.inject({ url: `${path}?${query}` });

      // One access line per answered request: the nine above plus the logins and user creation before them.
      const completed = log.lines.filter((l) => JSON.parse(l).msg === 'request completed');
      assert.ok(completed.length >= 9, `only ${completed.length} access lines`);
      const text = log.lines.join('\n');
      for (const secret of [userPassword, 'wrong-Guess-4471', 'carols-New-Secret-pw-9923', TEST_ADMIN_PASSWORD, token, admin, signature]) {
        assert.ok(!text.includes(secret), `the log contains ${secret.slice(0, 12)}…`);
      }
      assert.doesNotMatch(text, /authorization/i);
      assert.doesNotMatch(text, /Bearer/);
      for (const line of log.lines) {
        const entry = JSON.parse(line) as { reqId?: unknown; level?: unknown; msg?: unknown };
        assert.equal(typeof entry.reqId, 'string', line);
        assert.equal(typeof entry.level, 'number', line);
      }
      const download = log.lines.map((l) => JSON.parse(l)).find((e) => e.req?.url?.startsWith(path));
      assert.match(download.req.url, /signature=%5Bredacted%5D/);
    });

    it('honours a plain x-request-id, echoes it, and replaces a hostile one with a fresh id', async () => {
      const given = await svc.app.inject({ url: '/version', headers: { 'x-request-id': 'trace-4f2a.9' } });
      assert.equal(given.headers['x-request-id'], 'trace-4f2a.9');
      assert.ok(log.lines.some((l) => JSON.parse(l).reqId === 'trace-4f2a.9'));

      for (const hostile of ['a'.repeat(500), 'id with spaces', '{"level":60}', 'x\u00e9']) {
        const res = await svc.app.inject({ url: '/version', headers: { 'x-request-id': hostile } });
        assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/, hostile);
      }
      const fresh = await svc.app.inject({ url: '/nowhere' });
      assert.equal(fresh.statusCode, 404);
      assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });
  });
}
