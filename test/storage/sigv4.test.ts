import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_PAYLOAD_HASH, encodeKeyPath, presignUrl, signRequestHeaders } from '../../src/storage/sigv4.ts';

// The worked examples of AWS's "Signature Version 4 (AWS SigV4)" S3 documentation.
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
};
const now = new Date('2013-05-24T00:00:00Z');

test('presigns the AWS documentation example to its published signature', () => {
  const url = new URL(
    presignUrl({ method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', credentials, expiresInSeconds: 86400, now }),
  );
  assert.equal(url.origin + url.pathname, 'https://examplebucket.s3.amazonaws.com/test.txt');
  assert.equal(url.searchParams.get('X-Amz-Signature'), 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  assert.equal(url.searchParams.get('X-Amz-Credential'), 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request');
  assert.equal(url.searchParams.get('X-Amz-Date'), '20130524T000000Z');
  assert.equal(url.searchParams.get('X-Amz-Expires'), '86400');
  assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host');
});

test('signs the AWS documentation GET-object example (Range header) to its published signature', () => {
  const headers = signRequestHeaders({
    method: 'GET',
    url: 'https://examplebucket.s3.amazonaws.com/test.txt',
    headers: { range: 'bytes=0-9' },
    payloadHash: EMPTY_PAYLOAD_HASH,
    credentials,
    now,
  });
  assert.equal(
    headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
      'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
      'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
  assert.equal(headers['x-amz-date'], '20130524T000000Z');
});

test('refuses presigned URLs valid for longer than S3 allows', () => {
  assert.throws(
    () => presignUrl({ method: 'GET', url: 'https://h/b/k', credentials, expiresInSeconds: 604_801, now }),
    /expiresInSeconds must be a whole number from 1 to 604800, got 604801/,
  );
});

test('encodes key segments per RFC 3986 and keeps the slashes', () => {
  assert.equal(encodeKeyPath("wf-abc/out put(1)*.zip"), 'wf-abc/out%20put%281%29%2A.zip');
});
