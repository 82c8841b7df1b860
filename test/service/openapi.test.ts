import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

interface Operation {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}

/** Every route the service documents: a route added, removed or hidden shows here. */
const DOCUMENTED = [
  'GET /version',
  'POST /token',
  'POST /refresh',
  'POST /logout',
  'GET /login',
  'GET /authorize',
  'GET /health/live',
  'GET /health/ready',
  'GET /outputs/{workflow}/{file}',
  'POST /session',
  'GET /session',
  'DELETE /session',
  'GET /user',
  'POST /create_user',
  'PUT /user/password',
  'GET /users',
  'POST /users/{username}/disable',
  'POST /users/{username}/enable',
  'DELETE /users/{username}',
  'POST /submit',
  'POST /render',
  'GET /status/{workflow_name}',
  'GET /output/{workflow_name}',
  'GET /runs',
  'GET /runs/events',
  'GET /runs/{workflow_name}',
  'GET /runs/{workflow_name}/logs',
  'POST /runs/{workflow_name}/cancel',
  'POST /runs/{workflow_name}/resume',
  'POST /runs/{workflow_name}/suspend',
  'GET /metrics',
  'POST /cron-workflows',
  'GET /cron-workflows',
  'GET /cron-workflows/{name}',
  'DELETE /cron-workflows/{name}',
  'POST /cron-workflows/{name}/suspend',
  'POST /cron-workflows/{name}/resume',
  'PUT /cron-workflows/{name}',
  ...['/workflow-templates', '/cluster-workflow-templates'].flatMap((path) => [
    `POST ${path}`,
    `GET ${path}`,
    `GET ${path}/{name}`,
    `PUT ${path}/{name}`,
    `DELETE ${path}/{name}`,
  ]),
];

/** Answers without a body: a redirect names its target in Location, 204 has none. */
const bodiless = (status: string) => status === '204' || status.startsWith('3');

describe('the OpenAPI document is the HTTP contract', () => {
  let svc: TestService;
  let operations: Array<[string, Operation]>;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!);
    const res = await svc.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const spec = res.json() as { paths: Record<string, Record<string, Operation>> };
    operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
    );
  });
  after(() => svc.stop());

  it('documents every route', () => {
    assert.deepEqual(operations.map(([name]) => name).sort(), [...DOCUMENTED].sort());
  });

  it('gives every route a success answer and a schema for every answer with a body', () => {
    for (const [name, op] of operations) {
      const statuses = Object.keys(op.responses);
      assert.ok(
        statuses.some((s) => /^[23]\d\d$/.test(s)),
        `${name} lists no success answer: ${statuses.join(' ')}`,
      );
      for (const [status, response] of Object.entries(op.responses)) {
        if (bodiless(status)) {
          assert.equal(response.content, undefined, `${name} ${status} has a body`);
          assert.ok(response.description, `${name} ${status} has no description`);
          continue;
        }
        const media = Object.values(response.content ?? {});
        assert.ok(media.length > 0, `${name} ${status} has no content`);
        for (const m of media) assert.ok(m.schema, `${name} ${status} has no schema`);
      }
    }
  });

  it('lists 422 with the validation error shape on every route that validates its path, query or body', () => {
    const validating = operations.filter(([, op]) => (op.parameters ?? []).length > 0 || op.requestBody);
    // The hand-checked bodies count too: /submit and /render (JSON or an archive), /cron-workflows (JSON or YAML).
    for (const name of ['POST /submit', 'POST /render', 'POST /cron-workflows', 'GET /runs', 'POST /token']) {
      assert.ok(
        validating.some(([n]) => n === name),
        `${name} documents no input`,
      );
    }
    for (const [name, op] of validating) {
      const answer = op.responses['422'];
      assert.ok(answer, `${name} validates input but lists no 422`);
      const schema = answer.content?.['application/json']?.schema as { properties?: { detail?: unknown } } | undefined;
      assert.ok(schema?.properties?.detail, `${name}: 422 without the detail field`);
    }
    // And a route without input does not claim a 422 it cannot give.
    for (const [name, op] of operations.filter(([, op]) => !(op.parameters ?? []).length && !op.requestBody)) {
      assert.equal(op.responses['422'], undefined, `${name} lists 422 but takes no input`);
    }
  });

  it('lists 401 on every authenticated route, and 403 on every authenticated write', () => {
    const secured = operations.filter(([, op]) => op.security !== undefined);
    assert.ok(secured.length >= 20, `only ${secured.length} secured routes`);
    for (const [name, op] of secured) {
      assert.ok(op.responses['401'], `${name} lists no 401`);
      if (!name.startsWith('GET ')) assert.ok(op.responses['403'], `${name} lists no 403`);
    }
  });

  it('answers what it lists: a 422 naming the field in the documented shape', async () => {
    const token = await svc.adminToken();
    const auth = { authorization: `Bearer ${token}` };
    const cases: Array<[string, string, Array<string | number>]> = [
      ['GET', '/runs?limit=0', ['query', 'limit']],
      ['GET', '/status/Not_A_Name', ['path', 'workflow_name']],
      ['GET', '/runs/x/logs?tail_bytes=0', ['query', 'tail_bytes']],
      ['GET', '/cron-workflows/x'.padEnd(300, 'x'), ['path', 'name']],
    ];
    for (const [method, url, loc] of cases) {
      const res = await svc.app.inject({ method: method as 'GET', url, headers: auth });
      assert.equal(res.statusCode, 422, `${url}: ${res.body}`);
      const detail = (res.json() as { detail: Array<{ type: string; loc: unknown[]; msg: string }> }).detail;
      assert.ok(
        detail.some((d) => JSON.stringify(d.loc) === JSON.stringify(loc) && typeof d.msg === 'string' && typeof d.type === 'string'),
        `${url}: ${res.body}`,
      );
    }
  });
});
