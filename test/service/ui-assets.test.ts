import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync } from 'node:zlib';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
// @ts-expect-error: a plain ES module without types.
import { buildUi } from '../../ui/build.mjs';

describe('the web page assets', () => {
  let svc: TestService;
  before(async () => {
    await buildUi();
    svc = await startTestService(dbTargets()[0]!, { API_ROOT_PATH: '/ogdc' });
  });
  after(() => svc.stop());

  it('serves /ui/ under API_ROOT_PATH with a strict Content-Security-Policy', async () => {
    const bare = await svc.app.inject({ url: '/ogdc/ui' });
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/ogdc/ui/');
    const page = await svc.app.inject({ url: '/ogdc/ui/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    // Relative asset paths: the page works under any root.
    assert.match(page.body, /src="\.?\/?app\.js"/);
    assert.doesNotMatch(page.body, /<script>[^<]/, 'no inline script');
  });

  it('sends the pre-compressed script to a browser that accepts brotli', async () => {
    const plain = await svc.app.inject({ url: '/ogdc/ui/app.js' });
    const br = await svc.app.inject({ url: '/ogdc/ui/app.js', headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(br.statusCode, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.ok(br.rawPayload.length < plain.rawPayload.length / 2);
    assert.equal(brotliDecompressSync(br.rawPayload).toString(), plain.body);
    assert.ok(br.headers['content-security-policy']);
  });
});
