import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { recipeCorpusDir } from '../helpers/recipe-corpus.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { startArgoStandin } from '../standins/argo-server.ts';
import { startS3Standin } from '../standins/s3-server.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';

// What /output answers when the artifact store fails: 503 naming the store, never a 500.
const shared = path.join(recipeCorpusDir(), 'upstream-tests');
const S3 = { accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret', bucket: 'argo-workflows' };
const target = dbTargets()[0]!;

type Argo = Awaited<ReturnType<typeof startArgoStandin>>;
type S3Standin = Awaited<ReturnType<typeof startS3Standin>>;

describe('/output on the Argo path when S3 fails', () => {
  let argo: Argo;
  let s3: S3Standin;
  const services: TestService[] = [];

  before(async () => {
    argo = await startArgoStandin();
    s3 = await startS3Standin(S3);
  });
  after(async () => {
    for (const svc of services) await svc.stop();
    await argo.close();
    await s3.close();
  });

  /** A service whose S3 settings are `s3Env`, with one succeeded temporary-output run; its /output answer. */
  async function outputWith(s3Env: Record<string, string>) {
    const svc = await startTestService(
      target,
      { ARGO_WORKFLOWS_SERVICE_URL: argo.url, ARGO_NAMESPACE: 'qgnet', PUBLIC_S3_ENDPOINT_URL: s3.url, ...s3Env },
      { createEngine },
    );
    services.push(svc);
    const token = await svc.userToken('alice');
    const submit = await svc.app.inject({
      method: 'POST',
      url: '/submit?overwrite=true',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      payload: await packRecipe(path.join(shared, 'test_temp_output_recipe_dir')),
    });
    assert.equal(submit.statusCode, 200, submit.body);
    const name = submit.json().recipe_workflow_name as string;
    argo.setStatus(name, { phase: 'Succeeded', progress: '3/3' });
    for (let i = 0; i < 250; i++) {
      const status = await svc.app.inject({ url: `/status/${name}`, headers: { authorization: `Bearer ${token}` } });
      if (status.json().status === 'Succeeded') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return svc.app.inject({ url: `/output/${name}`, headers: { authorization: `Bearer ${token}` } });
  }

  it('answers 503 naming the endpoint when S3 is unreachable', async () => {
    const res = await outputWith({
      S3_SECRET_KEY_ID: S3.accessKeyId,
      S3_SECRET_KEY_KEY: S3.secretAccessKey,
      INTERNAL_S3_ENDPOINT_URL: 'http://127.0.0.1:1',
    });
    assert.equal(res.statusCode, 503, res.body);
    assert.match(
      res.json().detail,
      /^The artifact store is unavailable: S3 endpoint http:\/\/127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/,
    );
  });

  it('answers 503 naming the refused operation when S3 refuses the credentials, without the secret', async () => {
    const res = await outputWith({ S3_SECRET_KEY_ID: S3.accessKeyId, S3_SECRET_KEY_KEY: 'wrong-secret', INTERNAL_S3_ENDPOINT_URL: s3.url });
    assert.equal(res.statusCode, 503, res.body);
    assert.match(
      res.json().detail,
      /^The artifact store refused the request: S3 refused HeadObject ".*\.zip" in bucket "argo-workflows": HTTP 403/,
    );
    assert.doesNotMatch(res.body, /wrong-secret/);
  });
});
