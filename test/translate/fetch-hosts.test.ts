import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchFunction } from '../../src/translate/builders/fetch-function.ts';
import { inlineFetchScript } from '../../src/translate/builders/fetch.ts';

// The fetch script run for real (sh, wget, getent) against a server on 127.0.0.1.

let server: Server;
let base: string;
let root: string;
let requests = 0;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ogdc-fetch-hosts-'));
  server = createServer((req, res) => {
    requests++;
    const url = req.url ?? '';
    if (url === '/data') return void res.writeHead(200).end('the data\n');
    if (url === '/hop') return void res.writeHead(302, { location: '/data' }).end();
    if (url === '/hop-absolute') return void res.writeHead(301, { location: `${base}/hop` }).end();
    if (url === '/to-ftp') return void res.writeHead(302, { location: 'ftp://127.0.0.1/data' }).end();
    if (url === '/to-file') return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    if (url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

async function fetchOne(url: string, allowPrivate: boolean): Promise<{ code: number; stderr: string; dest: string }> {
  const dest = mkdtempSync(path.join(root, 'dest-'));
  const script = inlineFetchScript([{ url, filename: 'out.bin' }], dest, allowPrivate);
  // Async: the server answers on this process's event loop.
  const child = (await import('node:child_process')).spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  return { code, stderr, dest };
}

describe('the fetch step applies the host rules of recipe sources', () => {
  it('refuses a loopback input without contacting it, naming the URL and the variable', async () => {
    const before = requests;
    const run = await fetchOne(`${base}/data`, false);
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      new RegExp(
        `fetch: ${base}/data: host 127\\.0\\.0\\.1 \\(127\\.0\\.0\\.1\\) is a loopback, private or link-local address.*OGDC_ALLOW_PRIVATE_SOURCES`,
      ),
    );
    assert.equal(requests, before);
  });

  it('follows relative and absolute redirects itself when private hosts are allowed', async () => {
    for (const hop of ['/hop', '/hop-absolute']) {
      const run = await fetchOne(`${base}${hop}`, true);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(readFileSync(path.join(run.dest, 'out.bin'), 'utf8'), 'the data\n');
    }
  });

  it('refuses redirects to other schemes and endless redirects', async () => {
    for (const [hop, message] of [
      ['/to-ftp', 'only http and https URLs are fetched, not ftp://127.0.0.1/data'],
      ['/to-file', 'only http and https URLs are fetched, not file:///etc/passwd'],
      ['/loop', 'more than 10 redirects'],
    ] as const) {
      const run = await fetchOne(`${base}${hop}`, true);
      assert.notEqual(run.code, 0, hop);
      assert.ok(run.stderr.includes(message), run.stderr);
    }
  });

  it('classifies literal addresses as recipe sources do', () => {
    const cases: Array<[string, boolean]> = [
      ['http://10.1.2.3/x', false],
      ['http://172.20.0.1:8080/x', false],
      ['http://192.168.1.1/x', false],
      ['http://169.254.169.254/latest/meta-data', false],
      ['http://100.64.0.1/x', false],
      ['http://0.0.0.0/x', false],
      ['http://[::1]:2746/x', false],
      ['http://[fd00::1]/x', false],
      ['http://[fe80::1]/x', false],
      ['http://[::ffff:127.0.0.1]/x', false],
      ['http://user:pw@127.0.0.1/x', false],
      ['http://8.8.8.8/x', true],
      ['https://172.32.0.1/x', true],
      ['http://[2001:4860:4860::8888]/x', true],
    ];
    for (const [url, ok] of cases) {
      const run = spawnSync('sh', ['-c', `${fetchFunction(false)}\npublic_host "$1"`, 'sh', url], { encoding: 'utf8' });
      assert.equal(run.status === 0, ok, `${url}: ${run.stderr}`);
    }
  });
});
