import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { dbTargets, recipeArchive, startArgoBackedService, type ArgoBackedService } from './setup.ts';
import { hostileRequests, type HostileRequest } from './hostile-requests.ts';

/**
 * Sends raw bytes to the listening service and returns the raw answer once the
 * server closes the connection. The socket is not half-closed: Node may drop a
 * request whose client has already ended its side before the answer is written.
 */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(bytes.slice(0, 40))}`)));
    socket.on('data', (d) => (answer += d));
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(answer) : reject(err)));
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
  });
}

function statusAndBody(raw: string): { status: number; body: unknown } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return { status, body: JSON.parse(body) };
}

for (const target of dbTargets()) {
  describe(`hostile input on ${target.name}`, () => {
    let s: ArgoBackedService;
    let corpus: HostileRequest[];
    before(async () => {
      s = await startArgoBackedService(target, { OGDC_RECIPE_ROOTS: '' });
      corpus = hostileRequests({ user: await s.svc.userToken('mallory'), admin: await s.svc.adminToken() });
    });
    after(() => s.stop());

    it('answers every request of the corpus with a 4xx and a detail message', async () => {
      assert.ok(corpus.length >= 250, `the corpus has ${corpus.length} requests`);
      const wrong: string[] = [];
      for (const r of corpus) {
        const res = await s.svc.app.inject({ method: r.method, url: r.url, headers: r.headers, payload: r.payload });
        let detail: unknown;
        try {
          detail = (res.json() as { detail?: unknown }).detail;
        } catch {
          detail = undefined;
        }
        const hasDetail = (typeof detail === 'string' && detail.length > 0) || (Array.isArray(detail) && detail.length > 0);
        if (res.statusCode < 400 || res.statusCode >= 500 || !hasDetail)
          wrong.push(`${r.what}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
      assert.deepEqual(wrong, []);
      // Nothing hostile reached the engine or left a run behind.
      assert.equal(s.argo.workflows.size, 0);
      const runs = await s.svc.ctx.db.query<{ n: string | number }>('SELECT count(*) AS n FROM recipe_runs');
      assert.equal(Number(runs[0]!.n), 0);
    });

    it('names the refused field: a loopback recipe source, a path outside the roots, an overlong user name', async () => {
      const token = await s.svc.userToken('trudy');
      const submit = (recipe_path: string) =>
        s.svc.app.inject({
          method: 'POST',
          url: '/submit',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: { recipe_path },
        });
      const loopback = await submit('git+http://127.0.0.1/repo.git@main#recipe');
      assert.equal(loopback.statusCode, 400);
      assert.match(loopback.json().detail, /127\.0\.0\.1.*loopback, private or link-local/);
      const local = await submit('/etc');
      assert.equal(local.statusCode, 400);
      assert.match(local.json().detail, /\/etc/);
      const long = await s.svc.app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `username=${'u'.repeat(500)}&password=x`,
      });
      assert.equal(long.statusCode, 422);
      assert.deepEqual(long.json().detail[0].loc, ['body', 'username']);
      assert.match(long.json().detail[0].msg, /at most 128 characters/);
    });

    it('answers 413 with a detail when a body is over its limit', async () => {
      const token = await s.svc.userToken('oscar');
      const upload = await s.svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        payload: Buffer.alloc(21 * 1024 * 1024),
      });
      assert.equal(upload.statusCode, 413);
      assert.match(upload.json().detail, /too large/i);
      const login = await s.svc.app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `username=admin&password=${'p'.repeat(100 * 1024)}`,
      });
      assert.equal(login.statusCode, 413);
      assert.match(login.json().detail, /too large/i);
    });

    it('answers a NUL character in a user name with 400, not a database error', async () => {
      const res = await s.svc.app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=ad%00min&password=x',
      });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().detail, /NUL character/);
    });

    it('refuses a gzip bomb and a truncated archive as unreadable uploads', async () => {
      const token = await s.svc.userToken('bomber');
      for (const [what, payload] of [
        ['bomb', gzipSync(Buffer.alloc(8 * 1024 * 1024))],
        ['truncated', recipeArchive().subarray(0, 40)],
      ] as const) {
        const res = await s.svc.app.inject({
          method: 'POST',
          url: '/submit',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
          payload,
        });
        assert.equal(res.statusCode, 400, what);
        assert.match(res.json().detail, /^the uploaded recipe archive is not a readable tar\.gz archive: /, what);
      }
    });

    it('answers an overlong or malformed workflow name in a path with a 4xx naming the problem', async () => {
      const token = await s.svc.userToken('namer');
      const long = await s.svc.app.inject({ url: `/status/${'a'.repeat(260)}`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(long.statusCode, 422);
      assert.deepEqual(long.json().detail[0].loc, ['path', 'workflow_name']);
      const huge = await s.svc.app.inject({ url: `/status/${'a'.repeat(5000)}`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(huge.statusCode, 414);
      assert.deepEqual(huge.json(), { detail: 'A path segment of the URL is too long.' });
      const bad = await s.svc.app.inject({ url: '/status/%zz%', headers: { authorization: `Bearer ${token}` } });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(bad.json(), { detail: 'The URL is malformed.' });
    });

    it('answers oversized headers and malformed HTTP on the socket with a 4xx detail', async () => {
      await s.svc.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = s.svc.app.server.address() as net.AddressInfo;
      const huge = await rawExchange(port, `GET /version HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
      assert.deepEqual(statusAndBody(huge), { status: 431, body: { detail: 'The request headers are too large.' } });
      for (const garbage of [
        'NOT-HTTP\r\n\r\n',
        'GET / HTTP/9.9\r\n\r\n',
        'GET /version HTTP/1.1\r\nContent-Length: abc\r\n\r\n',
        '\u0000\u0001\u0002\r\n\r\n',
      ]) {
        const answer = statusAndBody(await rawExchange(port, garbage));
        assert.equal(answer.status, 400, garbage);
        assert.deepEqual(answer.body, { detail: 'The request is malformed and cannot be read.' });
      }
      // Over the wire, `..` reaches the router unnormalised: it must not escape the route.
      for (const path of ['/status/..', '/status/%2e%2e', '/runs/../logs', '/outputs/../../etc/passwd', '/outputs/..%2f..%2fetc/passwd']) {
        const answer = statusAndBody(
          await rawExchange(
            port,
            `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await s.svc.adminToken()}\r\nConnection: close\r\n\r\n`,
          ),
        );
        assert.ok(answer.status >= 400 && answer.status < 500, `${path}: ${answer.status}`);
        assert.ok((answer.body as { detail?: unknown }).detail, path);
      }
      // The service still answers afterwards.
      const version = await fetch(`http://127.0.0.1:${port}/version`);
      assert.equal(version.status, 200);
    });
  });
}
