import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sha256Hex, signRequestHeaders } from '../../src/storage/sigv4.ts';
import { startS3Standin, type S3Standin } from '../standins/s3-server.ts';

// The stand-in must refuse what S3 refuses, or the client tests against it prove nothing.
const keys = { accessKeyId: 'standin-access', secretAccessKey: 'standin-secret', bucket: 'argo-workflows' };
const credentials = { ...keys, region: 'us-east-1' };
let s3: S3Standin;

before(async () => {
  s3 = await startS3Standin(keys);
});
after(() => s3.close());

async function put(url: string, signedBody: string, sentBody: string, signingCredentials = credentials) {
  const headers = signRequestHeaders({ method: 'PUT', url, payloadHash: sha256Hex(signedBody), credentials: signingCredentials, now: new Date() });
  delete headers.host;
  return fetch(url, { method: 'PUT', headers, body: sentBody });
}

test('accepts a correctly signed PUT', async () => {
  const res = await put(`${s3.url}/argo-workflows/ok.txt`, 'body', 'body');
  assert.equal(res.status, 200);
  assert.equal(s3.objects.get('ok.txt')?.toString(), 'body');
});

test('refuses an unsigned request with AccessDenied', async () => {
  const res = await fetch(`${s3.url}/argo-workflows/ok.txt`);
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>AccessDenied<\/Code>/);
});

test('refuses a body that differs from the signed payload hash', async () => {
  const res = await put(`${s3.url}/argo-workflows/swap.txt`, 'signed body', 'other body');
  assert.equal(res.status, 400);
  assert.match(await res.text(), /<Code>XAmzContentSHA256Mismatch<\/Code>/);
  assert.equal(s3.objects.has('swap.txt'), false);
});

test('refuses an unknown access key with InvalidAccessKeyId', async () => {
  const res = await put(`${s3.url}/argo-workflows/k.txt`, 'b', 'b', { ...credentials, accessKeyId: 'someone-else' });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>InvalidAccessKeyId<\/Code>/);
});

test('refuses a request signed for another path with SignatureDoesNotMatch', async () => {
  const headers = signRequestHeaders({
    method: 'GET',
    url: `${s3.url}/argo-workflows/a.txt`,
    payloadHash: sha256Hex(''),
    credentials,
    now: new Date(),
  });
  delete headers.host;
  const res = await fetch(`${s3.url}/argo-workflows/b.txt`, { headers });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
});
