// GET /metrics: Prometheus' text format for the admin, with local-engine workflows' custom metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { workflowMetricsRegistry } from '../../src/engine/metrics.ts';
import { WorkflowMetrics } from '../../src/engine/local/execution/metrics.ts';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

describe('GET /metrics', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService(dbTargets()[0]!);
  });
  after(() => svc.stop());

  const scrape = async (token?: string) =>
    svc.app.inject({ method: 'GET', url: '/metrics', headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers the admin with the process metrics and the workflows custom metrics', async () => {
    // What a local-engine template's `metrics.prometheus` records, into the registry the engine uses by default.
    const definition = { prometheus: [{ name: 'metrics_route_probe', help: 'Probe of the route', counter: { value: '2' } }] };
    WorkflowMetrics.for(workflowMetricsRegistry).emit(definition, {}, 'test', () => {});
    const res = await scrape(await svc.adminToken());
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /^# HELP argo_workflows_metrics_route_probe Probe of the route$/m);
    assert.match(res.body, /^argo_workflows_metrics_route_probe 2$/m);
    assert.match(res.body, /^ogdc_process_cpu_seconds_total /m);
  });

  it('refuses other users and requests without a token', async () => {
    const user = await scrape(await svc.userToken('metrics-reader'));
    assert.equal(user.statusCode, 403);
    assert.match(user.json().detail, /admin/);
    assert.equal((await scrape()).statusCode, 401);
  });
});
