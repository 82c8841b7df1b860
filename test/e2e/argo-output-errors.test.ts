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
// One service whose S3 secret is wrong; then its S3 endpoint goes away.
const shared = path.join(recipeCorpusDir(), 'upstream-tests');
const S3 = { accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret', bucket: 'argo-workflows' };

type Argo = Awaited<ReturnType<typeof startArgoStandin>>;
type S3Standin = Awaited<ReturnType<typeof startS3Standin>>;

describe('/output on the Argo path when S3 fails', () => {
  let argo: Argo;
  let s3: S3Standin;
  let svc: TestService;
  let token: string;
  let name: string;
  const output = () => svc.app.inject({ url: `/output/${name}`, headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    argo = await startArgoStandin();
    s3 = await startS3Standin(S3);
    svc = await startTestService(
      dbTargets()[0]!,
      {
        ARGO_WORKFLOWS_SERVICE_URL: argo.url,
        ARGO_NAMESPACE: 'qgnet',
        S3_SECRET_KEY_ID: S3.accessKeyId,
        S3_SECRET_KEY_KEY: 'wrong-secret',
        INTERNAL_S3_ENDPOINT_URL: s3.url,
        PUBLIC_S3_ENDPOINT_URL: s3.url,
      },
      { createEngine },
    );
    token = await svc.userToken('alice');
    const submit = await svc.app.inject({
      method: 'POST',
      url: '/submit',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      payload: await packRecipe(path.join(shared, 'test_temp_output_recipe_dir')),
    });
    assert.equal(submit.statusCode, 200, submit.body);
    name = submit.json().recipe_workflow_name as string;
    argo.setStatus(name, { phase: 'Succeeded', progress: '3/3' });
    for (let i = 0; i < 250; i++) {
      const status = await svc.app.inject({ url: `/status/${name}`, headers: { authorization: `Bearer ${token}` } });
      if (status.json().status === 'Succeeded') break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  after(async () => {
    await svc.stop();
    await argo.close();
  });

  it('answers 503 naming the refused operation when S3 refuses the credentials, without the secret', async () => {
    const res = await output();
    assert.equal(res.statusCode, 503, res.body);
    assert.match(
      res.json().detail,
      /^The artifact store refused the request: S3 refused HeadObject ".*\.zip" in bucket "argo-workflows": HTTP 403/,
    );
    assert.doesNotMatch(res.body, /wrong-secret/);
  });

  it('answers 503 naming the endpoint once S3 is unreachable', async () => {
    await s3.close();
    const res = await output();
    assert.equal(res.statusCode, 503, res.body);
    const endpoint = s3.url.replace(/[.:/]/g, '\\$&');
    assert.match(res.json().detail, new RegExp(`^The artifact store is unavailable: S3 endpoint ${endpoint} is unreachable: `));
  });
});
