import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createArgoEngine } from '../../../src/engine/argo/index.ts';
import { ArtifactNotFoundError, EngineUnavailableError } from '../../../src/engine/errors.ts';
import { startS3Standin } from '../../standins/s3-server.ts';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const keys = { accessKeyId: 'argo-access', secretAccessKey: 'argo-secret', bucket: 'argo-workflows' };

test('artifacts are stored in and read back from the S3 bucket under their key', async (t) => {
  const s3 = await startS3Standin(keys);
  t.after(() => s3.close());
  const engine = createArgoEngine({
    serviceUrl: 'http://127.0.0.1:1',
    namespace: 'qgnet',
    s3: { ...keys, internalEndpointUrl: s3.url, publicEndpointUrl: s3.url, region: 'us-east-1' },
  });
  await engine.putArtifact('staging/wf-abc/config.json', '{"a":1}');
  assert.equal(s3.objects.get('staging/wf-abc/config.json')?.toString(), '{"a":1}');
  assert.equal(await text(await engine.getArtifact('staging/wf-abc/config.json')), '{"a":1}');
  await assert.rejects(
    engine.getArtifact('staging/none.zip'),
    (err: unknown) => err instanceof ArtifactNotFoundError && err.key === 'staging/none.zip',
  );
  await engine.close();
});

test('without S3 configuration, artifacts fail with EngineUnavailableError saying what to set', async () => {
  const engine = createArgoEngine({ serviceUrl: 'http://127.0.0.1:1', namespace: 'qgnet' });
  await assert.rejects(engine.putArtifact('k', 'v'), (err: unknown) => {
    assert.ok(err instanceof EngineUnavailableError);
    assert.match(
      err.message,
      /^Cannot store artifact "k": the Argo engine keeps artifacts in S3, and no S3 is configured \(set S3_SECRET_KEY_ID/,
    );
    return true;
  });
  await engine.close();
});
