import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { TEST_ADMIN_PASSWORD, TEST_JWT_SECRET } from '../helpers/service.ts';
import { bearer, dbTargets, recipeArchive, startArgoBackedService } from './setup.ts';

/** Resolves with the first line of `stream` that `match` accepts (rejects if the process ends first). */
function waitForLine(
  child: ChildProcess,
  stream: NodeJS.ReadableStream,
  match: (line: string) => boolean,
  output = () => '',
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      const hit = lines.find(match);
      if (hit !== undefined) {
        stream.off('data', onData);
        child.off('exit', onExit);
        resolve(hit);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`the service exited (${code}) before the expected line:\n${output()}`));
    stream.on('data', onData);
    child.once('exit', onExit);
  });
}

function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('shutdown of `ogdc-runner serve`', () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup) await c();
  });

  it(
    'on SIGTERM stops accepting connections, finishes the in-flight request, closes the database and exits 0',
    { timeout: 60_000 },
    async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-shutdown-'));
      cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
      const port = await freePort();
      const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
        env: {
          PATH: process.env.PATH,
          HOME: dataDir,
          OGDC_DATA_DIR: dataDir,
          OGDC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
          OGDC_JWT_SECRET_KEY: TEST_JWT_SECRET,
          OGDC_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      cleanup.push(async () => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      let stdout = '';
      child.stdout!.on('data', (d) => (stdout += d));
      await waitForLine(
        child,
        child.stderr!,
        (l) => l.includes('OGDC service listening on'),
        () => stderr,
      );

      // Access lines are batched, yet reach the log while the service runs (within a second).
      await fetch(`http://127.0.0.1:${port}/version`, { headers: { 'x-request-id': 'while-running' } });
      while (!stdout.includes('"reqId":"while-running"')) await new Promise((r) => setTimeout(r, 50));

      // A login whose body is only half sent: the request is in flight until the rest arrives.
      const body = new URLSearchParams({ username: 'admin', password: TEST_ADMIN_PASSWORD }).toString();
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      // `Expect: 100-continue` makes the server say when it has read the request head: from then on the request is in flight.
      const headRead = new Promise<void>((resolve) =>
        socket.on('data', (d) => {
          answer += d;
          if (answer.includes('100 Continue')) resolve();
        }),
      );
      const answered = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        `POST /token HTTP/1.1\r\nHost: x\r\nX-Request-Id: in-flight-login\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      await headRead;
      answer = '';

      child.kill('SIGTERM');
      await waitForLine(child, child.stderr!, (l) => l.includes('SIGTERM received'));
      // The listener is closed at once; wait for that without a timing assertion.
      // (a connection caught in the backlog as the listener closes is reset: try again).
      let outcome = await connectOutcome(port);
      while (outcome === 'connected' || outcome === 'ECONNRESET') outcome = await connectOutcome(port);
      assert.equal(outcome, 'ECONNREFUSED');

      // write, not end: a half-closed socket would make Node abort the request.
      socket.write(body.slice(10));
      await answered;
      assert.match(answer, /^HTTP\/1\.1 200 OK/);
      assert.match(answer, /"access_token":"[\w-]+\.[\w-]+\.[\w-]+"/);

      assert.equal(await exited, 0, stderr);
      // The access log is written in batches: what was buffered at exit is written too.
      const logged = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { reqId?: string; res?: { statusCode: number } });
      assert.ok(
        logged.some((l) => l.reqId === 'in-flight-login' && l.res?.statusCode === 200),
        stdout,
      );
      // The embedded database was closed cleanly: another process can open the same data dir.
      const { openPglite } = await import('../../src/db/pglite.ts');
      const db = await openPglite(path.join(dataDir, 'db'));
      try {
        const admins = await db.query<{ n: string | number }>("SELECT count(*) AS n FROM users WHERE name = 'admin'");
        assert.equal(Number(admins[0]!.n), 1);
      } finally {
        await db.close();
      }
    },
  );
});

describe('shutdown with a followed log stream', () => {
  it('cuts a stream that would never end once the grace period is over, so close() completes', { timeout: 30_000 }, async () => {
    const s = await startArgoBackedService(dbTargets()[0]!, {}, { shutdownGraceMs: 300 });
    let stopped = false;
    try {
      const token = await s.svc.userToken('follower');
      const res = await s.svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: bearer(token, { 'content-type': 'application/gzip' }),
        payload: recipeArchive('Followed recipe'),
      });
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name as string;
      s.argo.setStatus(name, { phase: 'Running', progress: '0/3' });
      s.argo.setLogs(name, [{ podName: `${name}-fetch-1`, content: 'downloading' }]);

      await s.svc.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = s.svc.app.server.address() as net.AddressInfo;
      const stream = await fetch(`http://127.0.0.1:${port}/runs/${name}/logs?follow=true`, { headers: bearer(token) });
      assert.equal(stream.status, 200);
      const reader = stream.body!.getReader();
      assert.match(new TextDecoder().decode((await reader.read()).value), /downloading/);

      await s.svc.close();
      stopped = true;
      // The stream was cut rather than left open.
      await assert.rejects(async () => {
        for (;;) if ((await reader.read()).done) throw new Error('ended');
      });
    } finally {
      if (!stopped) await s.svc.close();
      await s.argo.close();
    }
  });
});
