import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { jsonCaller, startTestService, type TestService } from '../helpers/service.ts';
import { createEngine } from '../../src/engine/create.ts';

const template = (name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'WorkflowTemplate',
  metadata: { name },
  spec: { templates: [{ name: 'wait', suspend: {} }] },
});

const cron = (name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'CronWorkflow',
  metadata: { name },
  spec: { schedule: '0 0 1 1 *', suspend: true, workflowSpec: { entrypoint: 'wait', templates: [{ name: 'wait', suspend: {} }] } },
});

for (const target of dbTargets()) {
  describe(`how many templates and CronWorkflows a user keeps, on ${target.name}`, () => {
    let svc: TestService;
    let alice: string;
    let bob: string;
    let admin: string;
    const call = jsonCaller(() => svc);

    before(async () => {
      svc = await startTestService(target, { OGDC_MAX_TEMPLATES_PER_USER: '3', OGDC_MAX_CRON_WORKFLOWS_PER_USER: '2' }, { createEngine });
      alice = await svc.userToken('alice');
      bob = await svc.userToken('bob');
      admin = await svc.adminToken();
    });
    after(async () => {
      await svc.stop();
    });

    it('refuses a WorkflowTemplate past the cap with a 403 naming the setting, even when sent at once', async () => {
      const sent = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => call('POST', '/workflow-templates', alice, template(n))));
      assert.deepEqual(sent.map((r) => r.status).sort(), [201, 201, 201, 403, 403]);
      const refused = sent.find((r) => r.status === 403)!;
      assert.match(refused.body.detail, /You keep 3 WorkflowTemplates.*OGDC_MAX_TEMPLATES_PER_USER.*delete one/);
      assert.equal((await call('GET', '/workflow-templates', alice)).body.items.length, 3);
      // Another user's count is their own; deleting one makes room.
      assert.equal((await call('POST', '/workflow-templates', bob, template('a'))).status, 201);
      const kept = (await call('GET', '/workflow-templates', alice)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
      assert.equal((await call('DELETE', `/workflow-templates/${kept[0]}`, alice)).status, 200);
      assert.equal((await call('POST', '/workflow-templates', alice, template('f'))).status, 201);
      // A name already taken is still a 409, not a quota refusal, below the cap.
      assert.equal((await call('POST', '/workflow-templates', bob, template('a'))).status, 409);
    });

    it('refuses a CronWorkflow past the cap and keeps nothing of it; admin has no cap', async () => {
      assert.equal((await call('POST', '/cron-workflows', alice, cron('nightly-1'))).status, 201);
      assert.equal((await call('POST', '/cron-workflows', alice, cron('nightly-2'))).status, 201);
      const refused = await call('POST', '/cron-workflows', alice, cron('nightly-3'));
      assert.equal(refused.status, 403);
      assert.match(refused.body.detail, /You keep 2 CronWorkflows.*OGDC_MAX_CRON_WORKFLOWS_PER_USER/);
      assert.equal((await call('GET', '/cron-workflows/nightly-3', admin)).status, 404);
      assert.equal((await call('GET', '/cron-workflows', alice)).body.items.length, 2);
      for (const n of [1, 2, 3, 4]) assert.equal((await call('POST', '/cron-workflows', admin, cron(`admin-${n}`))).status, 201);
      for (const n of [1, 2, 3, 4]) assert.equal((await call('POST', '/workflow-templates', admin, template(`admin-${n}`))).status, 201);
    });
  });
}
