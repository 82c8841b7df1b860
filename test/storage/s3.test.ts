import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import type { S3Config } from '../../src/config/index.ts';
import { S3ObjectNotFoundError, S3RequestError, S3UnavailableError, StorageError } from '../../src/storage/errors.ts';
import { createS3Client } from '../../src/storage/s3.ts';
import { startS3Standin, type S3Standin } from '../standins/s3-server.ts';

const keys = { accessKeyId: 'test-access', secretAccessKey: 'test/secret+key', bucket: 'argo-workflows' };
let s3: S3Standin;
let config: S3Config;

before(async () => {
  s3 = await startS3Standin(keys);
  config = { ...keys, internalEndpointUrl: s3.url, publicEndpointUrl: s3.url, region: 'us-east-1' };
});
after(() => s3.close());

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

test('puts, heads and gets an object under a key with slashes and spaces', async () => {
  const client = createS3Client(config);
  await client.putObject('wf-x1/my output.zip', 'zip bytes', 'application/zip');
  assert.equal(s3.objects.get('wf-x1/my output.zip')?.toString(), 'zip bytes');
  assert.deepEqual(await client.headObject('wf-x1/my output.zip'), { size: 9 });
  assert.equal(await text(await client.getObject('wf-x1/my output.zip')), 'zip bytes');
});

test('head of a missing object is null and get throws S3ObjectNotFoundError naming the key', async () => {
  const client = createS3Client(config);
  assert.equal(await client.headObject('nope/missing.zip'), null);
  await assert.rejects(client.getObject('nope/missing.zip'), (err: unknown) => {
    assert.ok(err instanceof S3ObjectNotFoundError);
    assert.equal(err.key, 'nope/missing.zip');
    return true;
  });
});

test('a presigned URL downloads the object with a plain GET', async () => {
  s3.objects.set('wf-y2/recipe.zip', Buffer.from('presigned content'));
  const url = await createS3Client(config).presignGetUrl('wf-y2/recipe.zip', 7200);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'presigned content');
});

test('a presigned URL with a tampered signature or key is refused with SignatureDoesNotMatch', async () => {
  s3.objects.set('wf-y3/a.zip', Buffer.from('a'));
  s3.objects.set('wf-y3/b.zip', Buffer.from('b'));
  const url = await createS3Client(config).presignGetUrl('wf-y3/a.zip', 60);
  const res = await fetch(url.replace('/a.zip', '/b.zip'));
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
});

test('an expired presigned URL is refused with AccessDenied "Request has expired"', async () => {
  s3.objects.set('wf-z3/old.zip', Buffer.from('old'));
  const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
  const url = await createS3Client(config, { now: () => twoHoursAgo }).presignGetUrl('wf-z3/old.zip', 3600);
  const res = await fetch(url);
  assert.equal(res.status, 403);
  const body = await res.text();
  assert.match(body, /<Code>AccessDenied<\/Code>/);
  assert.match(body, /Request has expired/);
});

test('presigned URLs point at the public endpoint instead of the internal one', async () => {
  const client = createS3Client({
    ...config,
    internalEndpointUrl: 'http://minio.argo.svc:9000',
    publicEndpointUrl: 'https://s3.example.org',
  });
  const url = new URL(await client.presignGetUrl('wf-p1/out.zip', 7200));
  assert.equal(url.origin, 'https://s3.example.org');
  assert.equal(url.pathname, '/argo-workflows/wf-p1/out.zip');
  assert.equal(url.searchParams.get('X-Amz-Expires'), '7200');
  assert.ok(url.searchParams.get('X-Amz-Signature'));
});

test('a wrong secret key is refused by S3 and surfaces as S3RequestError with SignatureDoesNotMatch', async () => {
  const client = createS3Client({ ...config, secretAccessKey: 'not-the-secret' });
  await assert.rejects(client.putObject('k', 'v'), (err: unknown) => {
    assert.ok(err instanceof S3RequestError);
    assert.equal(err.status, 403);
    assert.equal(err.s3Code, 'SignatureDoesNotMatch');
    assert.match(err.message, /S3 refused PutObject "k" in bucket "argo-workflows": SignatureDoesNotMatch/);
    return true;
  });
});

test('an unreachable endpoint throws S3UnavailableError (a StorageError) naming the endpoint', async () => {
  const client = createS3Client({ ...config, internalEndpointUrl: 'http://127.0.0.1:1' }, { retries: 0 });
  await assert.rejects(client.headObject('k'), (err: unknown) => {
    assert.ok(err instanceof S3UnavailableError);
    assert.ok(err instanceof StorageError);
    assert.match(err.message, /S3 endpoint http:\/\/127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/);
    return true;
  });
});

test('a presigned URL for a key with spaces, brackets, stars and non-ASCII downloads (S3 canonical encoding)', async () => {
  const key = 'wf-q1/my out(1)*_é+ü.zip';
  s3.objects.set(key, Buffer.from('encoded'));
  const res = await fetch(await createS3Client(config).presignGetUrl(key, 300));
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'encoded');
});

test('a presigned GET URL cannot be used to PUT: the method is signed', async () => {
  s3.objects.set('wf-q2/keep.zip', Buffer.from('original'));
  const url = await createS3Client(config).presignGetUrl('wf-q2/keep.zip', 300);
  const res = await fetch(url, { method: 'PUT', body: 'overwritten' });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  assert.equal(s3.objects.get('wf-q2/keep.zip')?.toString(), 'original');
});

test('a URL presigned with the wrong secret key is refused with SignatureDoesNotMatch', async () => {
  s3.objects.set('wf-q3/a.zip', Buffer.from('a'));
  const url = await createS3Client({ ...config, secretAccessKey: 'not-the-secret' }).presignGetUrl('wf-q3/a.zip', 300);
  const res = await fetch(url);
  assert.equal(res.status, 403);
  assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
});

test('presigned lifetimes outside 1..604800 seconds (S3 limit) are refused before signing', async () => {
  const client = createS3Client(config);
  await assert.rejects(client.presignGetUrl('k', 604_801), /expiresInSeconds must be a whole number from 1 to 604800, got 604801/);
  await assert.rejects(client.presignGetUrl('k', 0), /got 0/);
  await assert.rejects(client.presignGetUrl('k', 1.5), /got 1\.5/);
});

test('an endpoint that accepts but never answers throws S3UnavailableError after the timeout', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = silent.address() as AddressInfo;
    const client = createS3Client({ ...config, internalEndpointUrl: `http://127.0.0.1:${port}` }, { timeoutMs: 300, retries: 0 });
    await assert.rejects(client.getObject('k'), (err: unknown) => {
      assert.ok(err instanceof S3UnavailableError);
      assert.equal(err.operation, 'GetObject');
      assert.match(err.message, /S3 endpoint http:\/\/127\.0\.0\.1:\d+ is unreachable: .*300 ms requestTimeout/);
      return true;
    });
    client.destroy();
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('a 5xx answer is retried, then throws S3UnavailableError quoting S3', async () => {
  let requests = 0;
  const failing = createHttpServer((req, res) => {
    requests++;
    res.writeHead(500, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>disk on fire</Message></Error>');
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = failing.address() as AddressInfo;
    const client = createS3Client({ ...config, internalEndpointUrl: `http://127.0.0.1:${port}` }, { retries: 1 });
    await assert.rejects(client.putObject('wf-r1/in.zip', 'x'), (err: unknown) => {
      assert.ok(err instanceof S3UnavailableError);
      assert.match(err.message, /S3 endpoint http:\/\/127\.0\.0\.1:\d+ answered 500: disk on fire \(PutObject "wf-r1\/in\.zip"\)/);
      return true;
    });
    assert.equal(requests, 2);
    client.destroy();
  } finally {
    failing.closeAllConnections();
    await new Promise((resolve) => failing.close(resolve));
  }
});

test('presigned URLs swap the internal endpoint path prefix for the public one', async () => {
  const client = createS3Client({
    ...config,
    internalEndpointUrl: 'http://rgw.ceph.svc:7480/s3/',
    publicEndpointUrl: 'https://data.example.org/objects',
  });
  const url = new URL(await client.presignGetUrl('wf-p2/out.zip', 60));
  assert.equal(url.origin + url.pathname, 'https://data.example.org/objects/argo-workflows/wf-p2/out.zip');
});
