import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { startS3Standin, type S3Standin } from '../standins/s3-server.ts';

// The stand-in must refuse what S3 refuses, or the client tests against it prove nothing.
// Requests here are signed by AWS's own SigV4 signer (the one inside the SDK), not by our code.
const keys = { accessKeyId: 'standin-access', secretAccessKey: 'standin-secret', bucket: 'argo-workflows' };
let s3: S3Standin;

before(async () => {
  s3 = await startS3Standin(keys);
});
after(() => s3.close());

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: Data): Buffer =>
  typeof data === 'string' || data instanceof ArrayBuffer
    ? Buffer.from(data as string)
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** The SDK's `Checksum` shape over node:crypto (SigV4 only asks for SHA-256 and HMAC-SHA-256). */
class Sha256 {
  private parts: Buffer[] = [];
  constructor(private readonly secret?: Data) {}
  update(data: Data): void {
    this.parts.push(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    const body = Buffer.concat(this.parts);
    if (this.secret === undefined) return createHash('sha256').update(body).digest();
    return createHmac('sha256', bytes(this.secret)).update(body).digest();
  }
  reset(): void {
    this.parts = [];
  }
}

function signer(accessKeyId = keys.accessKeyId) {
  return new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: keys.secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
  });
}

async function signed(method: string, path: string, signedBody: string, accessKeyId?: string): Promise<Record<string, string>> {
  const url = new URL(`${s3.url}${path}`);
  const request = await signer(accessKeyId).sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    headers: { host: url.host, 'x-amz-content-sha256': createHash('sha256').update(signedBody).digest('hex') },
    body: signedBody,
  });
  const headers = { ...request.headers };
  delete headers.host;
  return headers;
}

async function put(path: string, signedBody: string, sentBody: string, accessKeyId?: string) {
  return fetch(`${s3.url}${path}`, { method: 'PUT', headers: await signed('PUT', path, signedBody, accessKeyId), body: sentBody });
}

test('accepts a correctly signed PUT', async () => {
  const res = await put('/argo-workflows/ok.txt', 'body', 'body');
  assert.equal(res.status, 200);
  assert.equal(s3.objects.get('ok.txt')?.toString(), 'body');
});

test('refuses an unsigned request with AccessDenied', async () => {
  const res = await fetch(`${s3.url}/argo-workflows/ok.txt`);
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>AccessDenied<\/Code>/);
});

test('refuses a body that differs from the signed payload hash', async () => {
  const res = await put('/argo-workflows/swap.txt', 'signed body', 'other body');
  assert.equal(res.status, 400);
  assert.match(await res.text(), /<Code>XAmzContentSHA256Mismatch<\/Code>/);
  assert.equal(s3.objects.has('swap.txt'), false);
});

test('refuses an unknown access key with InvalidAccessKeyId', async () => {
  const res = await put('/argo-workflows/k.txt', 'b', 'b', 'someone-else');
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>InvalidAccessKeyId<\/Code>/);
});

test('refuses a request signed for another path with SignatureDoesNotMatch', async () => {
  const headers = await signed('GET', '/argo-workflows/a.txt', '');
  const res = await fetch(`${s3.url}/argo-workflows/b.txt`, { headers });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
});
