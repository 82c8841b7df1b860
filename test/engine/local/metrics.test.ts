// Custom metrics (`metrics.prometheus`) of workflows and templates, recorded as Argo's controller records them
// (docs/metrics.md, operator.go:computeMetrics) into the registry the service serves on GET /metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { example, harness, manifest, run } from './helpers.ts';

/** One sample of the registry's text: its value, or undefined when absent. */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const flaky = (exit: number) =>
  manifest(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: metrics-}
spec:
  entrypoint: main
  metrics:
    prometheus:
    - name: wf_result
      help: Workflows by result
      labels: [{key: status, value: "{{workflow.status}}"}]
      counter: {value: "1"}
  templates:
  - name: main
    steps:
    - - {name: work, template: work}
  - name: work
    metrics:
      prometheus:
      - name: step_result
        help: Steps by result
        labels: [{key: name, value: work}, {key: status, value: "{{status}}"}]
        counter: {value: "1"}
      - name: step_failures
        help: Failed steps
        when: "{{status}} == Failed"
        counter: {value: "1"}
      - name: step_number
        help: The number the step wrote
        when: "{{status}} == Succeeded"
        histogram: {buckets: [1, 5, 10], value: "{{outputs.parameters.n}}"}
      - name: step_duration
        help: Seconds the step took
        gauge: {realtime: false, value: "{{duration}}"}
      - name: "bad-name"
        help: Not a Prometheus name
        counter: {value: "1"}
    outputs:
      parameters: [{name: n, valueFrom: {path: /tmp/n, default: "0"}}]
    script:
      image: busybox
      command: [sh]
      source: echo 3 > /tmp/n; exit ${exit}
`);

test('template and workflow metrics: counters by status, when, histogram of an output, a duration gauge', async (t) => {
  const registry = new Registry();
  const { engine, logs } = await harness(t, { sandbox: 'none', metricsRegistry: registry });
  assert.equal((await run(engine, flaky(0))).status?.phase, 'Succeeded');
  assert.equal((await run(engine, flaky(0))).status?.phase, 'Succeeded');
  assert.equal((await run(engine, flaky(1))).status?.phase, 'Failed');
  assert.equal(await sample(registry, 'argo_workflows_step_result{name="work",status="Succeeded"}'), 2);
  assert.equal(await sample(registry, 'argo_workflows_step_result{name="work",status="Failed"}'), 1);
  assert.equal(await sample(registry, 'argo_workflows_step_failures'), 1);
  assert.equal(await sample(registry, 'argo_workflows_step_number_count'), 2);
  assert.equal(await sample(registry, 'argo_workflows_step_number_sum'), 6);
  assert.equal(await sample(registry, 'argo_workflows_step_number_bucket{le="1"}'), 0);
  assert.equal(await sample(registry, 'argo_workflows_step_number_bucket{le="5"}'), 2);
  assert.equal(await sample(registry, 'argo_workflows_wf_result{status="Succeeded"}'), 2);
  assert.equal(await sample(registry, 'argo_workflows_wf_result{status="Failed"}'), 1);
  const duration = await sample(registry, 'argo_workflows_step_duration');
  assert.ok(duration !== undefined && duration >= 0, `step_duration ${duration}`);
  // A metric that cannot be recorded is skipped with a log line; the workflow is not failed by it.
  assert.equal(await sample(registry, 'argo_workflows_bad-name'), undefined);
  assert.ok(
    logs.some((l) => l.includes('"bad-name"') && l.includes('letters, digits and _ only')),
    logs.join('\n'),
  );
});

test('a realtime gauge counts up while the template runs and keeps its final value', async (t) => {
  const registry = new Registry();
  const { engine } = await harness(t, { sandbox: 'none', metricsRegistry: registry });
  const wf = manifest(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: realtime-}
spec:
  entrypoint: wait
  templates:
  - name: wait
    metrics:
      prometheus:
      - {name: wait_seconds, help: Seconds waited so far, gauge: {realtime: true, value: "{{duration}}"}}
    container: {image: busybox, command: [sh, -c, "while [ ! -e /tmp/go ]; do sleep 0.05; done"]}
`);
  const submitted = await engine.submit(wf);
  const name = submitted.metadata.name!;
  let seen: number | undefined;
  for (let i = 0; i < 400 && !(seen !== undefined && seen > 0); i++) {
    await new Promise((r) => setTimeout(r, 25));
    seen = await sample(registry, 'argo_workflows_wait_seconds');
  }
  assert.ok(seen !== undefined && seen > 0, 'the gauge reports the time so far while the pod runs');
  await engine.stop(name);
  await engine.wait(name);
  const final = await sample(registry, 'argo_workflows_wait_seconds');
  assert.ok(final !== undefined && final >= seen, `final ${final} after ${seen}`);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await sample(registry, 'argo_workflows_wait_seconds'), final, 'it stops counting once the template is done');
});

test("Argo's custom-metrics example records its histogram, counter and gauges", async (t) => {
  const registry = new Registry();
  const { engine } = await harness(t, { sandbox: 'none', metricsRegistry: registry });
  const wf = await run(engine, await example('custom-metrics'));
  assert.ok(wf.status?.phase === 'Succeeded' || wf.status?.phase === 'Failed', wf.status?.message);
  const text = await registry.metrics();
  assert.match(text, /^argo_workflows_random_int_step_histogram_count 1$/m);
  assert.match(text, /^argo_workflows_duration_gauge\{name="workflow"\} \d/m);
  assert.match(text, /^argo_workflows_duration_gauge\{name="random-int"\} \d/m);
  assert.match(text, /^argo_workflows_result_counter\{name="flakey",status="(Succeeded|Failed)"\} 1$/m);
});
