import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { jsonCaller, startTestService, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/poll.ts';
import { createEngine } from '../../src/engine/create.ts';

const GREET_YAML = [
  'apiVersion: argoproj.io/v1alpha1',
  'kind: WorkflowTemplate',
  'metadata: {name: greet}',
  'spec:',
  '  arguments: {parameters: [{name: who, value: world}]}',
  '  entrypoint: main',
  '  templates:',
  '    - name: main',
  '      steps: [[{name: hello, template: say}]]',
  '    - name: say',
  '      container: {image: alpine:3.19, command: [sh, -c, "echo hello {{workflow.parameters.who}}"]}',
].join('\n');

function template(kind: string, name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind,
    metadata: { name },
    spec: { templates: [{ name: 'wait', suspend: {} }], ...spec },
  };
}

function cron(name: string, workflowSpec: Record<string, unknown>) {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name }, spec: { schedule: '* * * * *', workflowSpec } };
}

for (const target of dbTargets()) {
  describe(`WorkflowTemplates kept by the service on ${target.name}`, () => {
    let svc: TestService;
    let alice: string;
    let bob: string;
    let admin: string;
    let t = new Date('2026-01-05T10:00:30Z');
    const call = jsonCaller(() => svc);
    const names = (body: Record<string, any>) => body.items.map((i: { metadata: { name: string } }) => i.metadata.name);

    before(async () => {
      svc = await startTestService(target, {}, { createEngine, now: () => t });
      alice = await svc.userToken('alice');
      bob = await svc.userToken('bob');
      admin = await svc.adminToken();
    });
    after(async () => {
      await svc.stop();
    });

    it("keeps a user's WorkflowTemplates apart from everyone else's", async () => {
      const created = await call('POST', '/workflow-templates', alice, GREET_YAML, 'application/yaml');
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.owner, 'alice');
      assert.deepEqual(created.body.templates, ['main', 'say']);
      assert.equal(created.body.metadata.namespace, svc.ctx.config.argoNamespace);
      assert.deepEqual(names((await call('GET', '/workflow-templates', alice)).body), ['greet']);
      assert.deepEqual(names((await call('GET', '/workflow-templates', bob)).body), []);
      assert.equal((await call('GET', '/workflow-templates/greet', bob)).status, 404);
      assert.equal((await call('GET', '/workflow-templates/greet?owner=alice', bob)).status, 404);
      assert.equal((await call('DELETE', '/workflow-templates/greet?owner=alice', bob)).status, 404);
      // Bob may keep a template of the same name: his own.
      assert.equal((await call('POST', '/workflow-templates', bob, template('WorkflowTemplate', 'greet'))).status, 201);
      assert.equal((await call('POST', '/workflow-templates', alice, GREET_YAML, 'application/yaml')).status, 409);
      const seen = await call('GET', '/workflow-templates/greet?owner=alice', admin);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.manifest.spec.templates[1].name, 'say');
      assert.deepEqual(
        (await call('GET', '/workflow-templates', admin)).body.items.map((i: { owner: string }) => i.owner),
        ['alice', 'bob'],
      );
      assert.equal((await call('DELETE', '/workflow-templates/greet', bob)).status, 200);
      assert.equal((await call('GET', '/workflow-templates/greet', alice)).body.owner, 'alice');
    });

    it('refuses bad templates with a 422 naming the field, and keeps nothing', async () => {
      const cases: Array<[unknown, string]> = [
        [{ ...template('WorkflowTemplate', 'x'), kind: 'Workflow' }, 'kind'],
        [{ ...template('WorkflowTemplate', 'x'), metadata: {} }, 'name'],
        [template('WorkflowTemplate', 'Bad_Name'), 'name'],
        [template('WorkflowTemplate', 'empty', { templates: [] }), 'templates'],
        [template('WorkflowTemplate', 'typo', { templates: [{ name: 'a', container: { image: 'x', command: 'sh' } }] }), 'command'],
      ];
      for (const [doc, field] of cases) {
        const res = await call('POST', '/workflow-templates', alice, doc);
        assert.equal(res.status, 422, `${field}: ${JSON.stringify(res.body)}`);
        assert.ok(JSON.stringify(res.body.detail[0].loc).includes(field), `${field}: ${JSON.stringify(res.body.detail)}`);
      }
      assert.equal((await call('POST', '/workflow-templates', alice, 'kind: [x', 'application/yaml')).status, 422);
      assert.deepEqual(names((await call('GET', '/workflow-templates', alice)).body), ['greet']);
    });

    it('lets only admin write ClusterWorkflowTemplates, and everyone read them', async () => {
      const shared = template('ClusterWorkflowTemplate', 'shared-wait');
      assert.equal((await call('POST', '/cluster-workflow-templates', alice, shared)).status, 403);
      const created = await call('POST', '/cluster-workflow-templates', admin, shared);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.owner, null);
      assert.equal(created.body.metadata.namespace, undefined);
      assert.deepEqual(names((await call('GET', '/cluster-workflow-templates', bob)).body), ['shared-wait']);
      assert.equal((await call('GET', '/cluster-workflow-templates/shared-wait', bob)).status, 200);
      assert.equal((await call('PUT', '/cluster-workflow-templates/shared-wait', bob, shared)).status, 403);
      assert.equal((await call('DELETE', '/cluster-workflow-templates/shared-wait', bob)).status, 403);
    });

    it("runs a CronWorkflow through its owner's templates, resolved at each run", async () => {
      const spec = { workflowTemplateRef: { name: 'greet' }, arguments: { parameters: [{ name: 'who', value: 'cron' }] } };
      const created = await call('POST', '/cron-workflows', alice, cron('greeter', spec));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      t = new Date(t.getTime() + 60_000);
      await svc.ctx.cron!.tick();
      const run = (await call('GET', '/cron-workflows/greeter', alice)).body.active_runs[0] as string;
      assert.ok(run, 'a run was created');
      const wf = await eventually(
        'the run through the template to succeed',
        () => svc.ctx.engine!.get(run),
        (w) => w.status?.phase === 'Succeeded' || w.status?.phase === 'Failed' || w.status?.phase === 'Error',
        60_000,
      );
      assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(wf.status));
      const say = Object.values(wf.status?.nodes ?? {}).find((n) => n.type === 'Pod');
      assert.equal(say?.templateName, 'say');
      // The template is gone: the next run fails to submit, saying which reference found nothing.
      assert.equal((await call('DELETE', '/workflow-templates/greet', alice)).status, 200);
      t = new Date(t.getTime() + 60_000);
      await svc.ctx.cron!.tick();
      const view = (await call('GET', '/cron-workflows/greeter', alice)).body;
      const condition = view.status.conditions.find((c: { type: string }) => c.type === 'SubmissionError');
      assert.match(condition?.message ?? '', /workflowTemplateRef.*"greet" not found/);
      assert.equal((await call('POST', '/workflow-templates', alice, GREET_YAML, 'application/yaml')).status, 201);
      assert.equal((await call('DELETE', '/cron-workflows/greeter', alice)).status, 200);
    });

    it("refuses a CronWorkflow naming another user's template, or a claim through a template", async () => {
      const other = await call('POST', '/cron-workflows', bob, cron('borrow', { workflowTemplateRef: { name: 'greet' } }));
      assert.equal(other.status, 422, JSON.stringify(other.body));
      assert.ok(other.body.detail[0].loc.includes('workflowTemplateRef'), JSON.stringify(other.body.detail));
      assert.match(other.body.detail[0].msg, /"greet" not found/);
      const step = {
        entrypoint: 'main',
        templates: [{ name: 'main', steps: [[{ name: 'a', templateRef: { name: 'greet', template: 'nope' } }]] }],
      };
      const missing = await call('POST', '/cron-workflows', alice, cron('missing', step));
      assert.equal(missing.status, 422);
      assert.match(missing.body.detail[0].msg, /template nope not found/);
      const claim = template('WorkflowTemplate', 'claimer', {
        entrypoint: 'wait',
        volumes: [{ name: 'shared', persistentVolumeClaim: { claimName: 'other-users-data' } }],
      });
      assert.equal((await call('POST', '/workflow-templates', bob, claim)).status, 201);
      const claimed = await call('POST', '/cron-workflows', bob, cron('claimer', { workflowTemplateRef: { name: 'claimer' } }));
      assert.equal(claimed.status, 422, JSON.stringify(claimed.body));
      assert.ok(claimed.body.detail[0].loc.includes('persistentVolumeClaim'), JSON.stringify(claimed.body.detail));
      const cluster = {
        entrypoint: 'main',
        templates: [{ name: 'main', steps: [[{ name: 'a', templateRef: { name: 'shared-wait', template: 'wait', clusterScope: true } }]] }],
      };
      assert.equal((await call('POST', '/cron-workflows', bob, cron('clustered', cluster))).status, 201);
      assert.equal((await call('DELETE', '/cron-workflows/clustered', bob)).status, 200);
    });

    it('replaces templates and CronWorkflows by name with PUT', async () => {
      const greet = (await call('GET', '/workflow-templates/greet', alice)).body.manifest;
      greet.spec.templates.push({ name: 'extra', suspend: {} });
      const replaced = await call('PUT', '/workflow-templates/greet', alice, greet);
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.deepEqual(replaced.body.templates, ['main', 'say', 'extra']);
      assert.equal((await call('PUT', '/workflow-templates/greet', alice, { ...greet, metadata: { name: 'other' } })).status, 422);
      assert.equal((await call('PUT', '/workflow-templates/greet', bob, greet)).status, 404);

      assert.equal(
        (await call('POST', '/cron-workflows', alice, cron('updated', { entrypoint: 'w', templates: [{ name: 'w', suspend: {} }] })))
          .status,
        201,
      );
      const next = cron('updated', { workflowTemplateRef: { name: 'greet' } });
      next.spec.schedule = '0 3 * * *';
      const put = await call('PUT', '/cron-workflows/updated', alice, next);
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body.schedules, ['0 3 * * *']);
      assert.equal((await call('PUT', '/cron-workflows/updated', bob, next)).status, 404);
      const renamed = await call('PUT', '/cron-workflows/updated', alice, { ...next, metadata: { name: 'renamed' } });
      assert.equal(renamed.status, 422);
      assert.deepEqual(renamed.body.detail[0].loc, ['body', 'metadata', 'name']);
      const bad = await call('PUT', '/cron-workflows/updated', alice, cron('updated', { workflowTemplateRef: { name: 'nothing' } }));
      assert.equal(bad.status, 422);
      assert.deepEqual(
        (await call('GET', '/cron-workflows/updated', alice)).body.schedules,
        ['0 3 * * *'],
        'a refused update changes nothing',
      );
      assert.equal((await call('DELETE', '/cron-workflows/updated', alice)).status, 200);
    });
  });
}

describe('WorkflowTemplates without the local engine', () => {
  it('answer 501 saying where Argo keeps them, and still require a token', async () => {
    const svc = await startTestService(dbTargets()[0]!);
    try {
      const alice = await svc.userToken('alice');
      assert.equal((await svc.app.inject({ url: '/workflow-templates' })).statusCode, 401);
      const res = await svc.app.inject({ url: '/cluster-workflow-templates', headers: { authorization: `Bearer ${alice}` } });
      assert.equal(res.statusCode, 501);
      assert.match((res.json() as { detail: string }).detail, /argo cluster-template create/);
    } finally {
      await svc.stop();
    }
  });
});
