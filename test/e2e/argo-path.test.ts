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

const shared = path.join(recipeCorpusDir(), 'upstream-tests');
const S3 = { accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret', bucket: 'argo-workflows' };

type Argo = Awaited<ReturnType<typeof startArgoStandin>>;
type S3Standin = Awaited<ReturnType<typeof startS3Standin>>;

for (const target of dbTargets()) {
  describe(`the Argo path end to end on ${target.name}`, () => {
    let argo: Argo;
    let s3: S3Standin;
    let svc: TestService;
    let alice: string;
    let bob: string;

    const upload = async (dir: string, token: string, query = '') =>
      svc.app.inject({
        method: 'POST',
        url: `/submit${query}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        payload: await packRecipe(path.join(shared, dir)),
      });
    const get = (url: string, token: string) => svc.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    /** /status once the service has heard of `phase` from Argo's watch stream (it reads the runs table). */
    const statusOnce = async (name: string, token: string, phase: string) => {
      for (let i = 0; ; i++) {
        const answer = (await get(`/status/${name}`, token)).json();
        if (answer.status === phase || i >= 250) return answer;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    before(async () => {
      argo = await startArgoStandin();
      s3 = await startS3Standin(S3);
      svc = await startTestService(
        target,
        {
          ARGO_WORKFLOWS_SERVICE_URL: argo.url,
          ARGO_NAMESPACE: 'qgnet',
          S3_SECRET_KEY_ID: S3.accessKeyId,
          S3_SECRET_KEY_KEY: S3.secretAccessKey,
          INTERNAL_S3_ENDPOINT_URL: s3.url,
          PUBLIC_S3_ENDPOINT_URL: s3.url,
        },
        { createEngine },
      );
      alice = await svc.userToken('alice');
      bob = await svc.userToken('bob');
    });
    after(async () => {
      await svc.stop();
      await argo.close();
      await s3.close();
    });

    it('submits an uploaded temporary-output recipe, follows its status and presigns its output', async () => {
      const res = await upload('test_temp_output_recipe_dir', alice);
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name as string;
      assert.match(name, /^test-ogdc-workflow-shell-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(res.json().message, `Successfully submitted recipe with recipe_workflow_name='${name}'`);
      const submitted = argo.workflows.get(name)!;
      assert.equal(submitted.metadata.labels?.['ogdc/submitter'], 'alice');

      assert.equal((await get(`/status/${name}`, alice)).json().status, 'Pending');
      argo.setStatus(name, { phase: 'Succeeded', progress: '3/3', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' });
      const status = await statusOnce(name, alice, 'Succeeded');
      assert.equal(status.status, 'Succeeded');
      assert.equal(status.recipe_workflow_name, name);

      const missing = await get(`/output/${name}`, alice);
      assert.equal(missing.statusCode, 404);
      assert.match(missing.json().detail, /not found/);

      s3.objects.set(`${name}/test-ogdc-workflow.zip`, Buffer.from('zip bytes'));
      const output = await get(`/output/${name}`, alice);
      assert.equal(output.statusCode, 200, output.body);
      const url = output.json().data_url as string;
      assert.ok(url.startsWith(`${s3.url}/argo-workflows/${name}/test-ogdc-workflow.zip?`), url);
      const download = await fetch(url);
      assert.equal(download.status, 200);
      assert.equal(await download.text(), 'zip bytes');

      const detail = (await get(`/runs/${name}`, alice)).json();
      assert.equal(detail.engine, 'argo');
      assert.equal(detail.progress, '3/3');
      assert.equal(detail.output_available, true);
    });

    it("answers 404 for another user's run on every run route", async () => {
      const res = await upload('test_shell_workflow_recipe_dir', alice, '?overwrite=true');
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name as string;
      for (const url of [`/status/${name}`, `/output/${name}`, `/runs/${name}`, `/runs/${name}/logs`]) {
        const r = await get(url, bob);
        assert.equal(r.statusCode, 404, url);
        assert.match(r.json().detail, new RegExp(name));
      }
      const cancel = await svc.app.inject({ method: 'POST', url: `/runs/${name}/cancel`, headers: { authorization: `Bearer ${bob}` } });
      assert.equal(cancel.statusCode, 404);
      argo.setStatus(name, { phase: 'Succeeded' });
      assert.equal((await statusOnce(name, alice, 'Succeeded')).status, 'Succeeded');
    });

    it('resumes a suspended run for its owner; 409 once nothing is suspended, 400 for an output it cannot set, 422 for a bad name', async () => {
      const res = await upload('test_shell_workflow_recipe_dir', alice, '?overwrite=true');
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name as string;
      const suspend = {
        id: `${name}-9`,
        name: `${name}.approve`,
        displayName: 'approve',
        type: 'Suspend' as const,
        phase: 'Running' as const,
        outputs: { parameters: [{ name: 'answer', valueFrom: { supplied: {} } } as { name: string }] },
      };
      argo.setStatus(name, { phase: 'Running', nodes: { [suspend.id]: suspend } });
      const resume = (user: string, body: object = {}) =>
        svc.app.inject({ method: 'POST', url: `/runs/${name}/resume`, headers: { authorization: `Bearer ${user}` }, payload: body });
      assert.equal((await resume(bob)).statusCode, 404);
      const noValue = await resume(alice);
      assert.equal(noValue.statusCode, 400, noValue.body);
      assert.match(noValue.json().detail, /raw output parameter 'answer' has not been set/);
      const bad = await resume(alice, { parameters: { 'no spaces': 'x' } });
      assert.equal(bad.statusCode, 422, bad.body);
      assert.deepEqual(bad.json().detail[0].loc, ['body', 'parameters']);
      const ok = await resume(alice, { parameters: { answer: 'yes' } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().message, `Workflow ${name} is resumed.`);
      assert.deepEqual(argo.workflows.get(name)!.status!.nodes![suspend.id]!.outputs?.parameters, [{ name: 'answer', value: 'yes' }]);
      const again = await resume(alice);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().detail, `Workflow ${name} is not suspended.`);
      argo.setStatus(name, { phase: 'Succeeded' });
    });

    it('suspends a running run for its owner (PUT …/suspend), resumes it, and answers 409 once it has finished', async () => {
      const res = await upload('test_shell_workflow_recipe_dir', alice, '?overwrite=true');
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name as string;
      argo.setStatus(name, { phase: 'Running' });
      const post = (action: string, user: string) =>
        svc.app.inject({ method: 'POST', url: `/runs/${name}/${action}`, headers: { authorization: `Bearer ${user}` } });
      assert.equal((await post('suspend', bob)).statusCode, 404);
      const ok = await post('suspend', alice);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.match(ok.json().message, new RegExp(`Workflow ${name} is suspended`));
      assert.equal(argo.workflows.get(name)!.spec.suspend, true);
      assert.equal((await post('resume', alice)).statusCode, 200);
      assert.equal(argo.workflows.get(name)!.spec.suspend, undefined);
      argo.setStatus(name, { phase: 'Succeeded' });
      const late = await post('suspend', alice);
      assert.equal(late.statusCode, 409, late.body);
      assert.match(late.json().detail, /has finished; only a running workflow can be suspended/);
    });

    it('stores the input list of a parallel recipe in the artifact repository, not in the manifest', async () => {
      const res = await upload('test_parallel_shell_recipe_dir', alice);
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name as string;
      const lists = [...s3.objects.keys()].filter((k) => k.startsWith('ogdc-inputs/') && k.endsWith('/inputs.tsv'));
      assert.equal(lists.length, 1);
      assert.equal(s3.objects.get(lists[0]!)!.toString().trim().split('\n').length, 5);
      assert.ok(!JSON.stringify(argo.workflows.get(name)).includes('nunagis_goose_protected_areas'));
      argo.setStatus(name, { phase: 'Failed', message: 'child failed' });
      assert.equal((await statusOnce(name, alice, 'Failed')).status, 'Failed');
    });

    it('answers 503 when the Argo Server is down and records the run as not submitted', async () => {
      argo.fail('down');
      try {
        const res = await upload('test_temp_output_recipe_dir', alice);
        assert.equal(res.statusCode, 503);
        assert.match(res.json().detail, /workflow engine is unavailable.*Argo Server/);
      } finally {
        argo.fail(null);
      }
      const rows = await svc.ctx.db.query<{ phase: string; message: string; workflow_name: string | null }>(
        "SELECT phase, message, workflow_name FROM recipe_runs WHERE recipe_id = 'test-ogdc-workflow' ORDER BY id DESC LIMIT 1",
      );
      assert.equal(rows[0]!.phase, 'Error');
      assert.equal(rows[0]!.workflow_name, null);
      assert.match(rows[0]!.message, /^not submitted: /);
    });
  });
}
