/**
 * Custom metrics of workflows and templates (`metrics.prometheus`, workflow/metrics and operator.go:computeMetrics),
 * recorded in a prom-client registry that the service exposes on `GET /metrics`. As in Argo: emitted once the
 * workflow or template is done (realtime gauges while it runs), names prefixed `argo_workflows_`, `when` evaluated
 * like a step's, `{{status}}`, `{{duration}}`, `{{exitCode}}`, `{{inputs.*}}` and `{{outputs.*}}` for templates,
 * `{{workflow.status}}` and `{{workflow.duration}}` for the workflow. A metric that cannot be recorded (bad name,
 * value or `when`, another metric's help or type under the same name) is skipped with a log line, never failing the
 * workflow. A workflow is anyone's input: the number of metric names and of series per metric is bounded.
 */
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { NodeStatus } from '../../types.ts';
import { mapLookup, substituteString } from '../expressions/substitute.ts';
import { evaluateWhen } from '../expressions/when.ts';
import type { Obj } from './context.ts';

const PREFIX = 'argo_workflows_';
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_METRICS = 200;
const MAX_SERIES = 1000;
const MAX_LABEL_VALUE = 256;

type Kind = 'gauge' | 'counter' | 'histogram';
type Log = (message: string) => void;

interface Kept {
  metric: Metric;
  kind: Kind;
  help: string;
  labelNames: string[];
  series: Set<string>;
  /** Realtime gauges running now: series key → its labels and start time. */
  live: Map<string, { labels: Record<string, string>; since: number }>;
}

/** A metric definition with its tags substituted. */
interface Resolved {
  name: string;
  help: string;
  labels: Record<string, string>;
  kind: Kind;
  value: string;
  operation?: string;
  buckets?: number[];
}

const shared = new WeakMap<Registry, WorkflowMetrics>();

export class WorkflowMetrics {
  private readonly kept = new Map<string, Kept>();

  private constructor(readonly registry: Registry) {}

  /** The metrics kept in `registry`: one per registry, so engines sharing a registry share its metrics. */
  static for(registry: Registry): WorkflowMetrics {
    let metrics = shared.get(registry);
    if (!metrics) shared.set(registry, (metrics = new WorkflowMetrics(registry)));
    return metrics;
  }

  /**
   * Records the definitions of `metrics.prometheus` that hold, with `vars` for their tags. Realtime gauges are
   * skipped: `startRealtime` covers them.
   */
  emit(metrics: unknown, vars: Record<string, string>, where: string, log: Log): void {
    for (const def of definitions(metrics)) {
      if ((def.gauge as Obj | undefined)?.realtime === true) continue;
      const resolved = this.resolve(def, vars, where, log);
      if (resolved) this.record(resolved, where, log);
    }
  }

  /**
   * Starts the realtime gauges of `metrics` (value `{{duration}}`: seconds since now, read at each scrape); the
   * returned function ends them at their final value.
   */
  startRealtime(metrics: unknown, vars: Record<string, string>, where: string, log: Log): () => void {
    const started: Array<{ kept: Kept; key: string }> = [];
    for (const def of definitions(metrics)) {
      if ((def.gauge as Obj | undefined)?.realtime !== true) continue;
      const resolved = this.resolve(def, { ...vars, duration: '0' }, where, log);
      if (!resolved) continue;
      const kept = this.metricFor(resolved, where, log);
      if (!kept) continue;
      const key = this.seriesKey(kept, resolved, where, log);
      if (key === undefined) continue;
      kept.live.set(key, { labels: resolved.labels, since: Date.now() });
      started.push({ kept, key });
    }
    return () => {
      for (const { kept, key } of started) {
        const live = kept.live.get(key);
        if (!live) continue;
        kept.live.delete(key);
        (kept.metric as Gauge).set(live.labels, (Date.now() - live.since) / 1000);
      }
    };
  }

  private resolve(def: Obj, vars: Record<string, string>, where: string, log: Log): Resolved | undefined {
    const lookup = mapLookup(vars);
    const sub = (v: unknown) => substituteString(String(v ?? ''), lookup);
    try {
      if (typeof def.when === 'string' && def.when.trim() && !evaluateWhen(sub(def.when))) return undefined;
      const kind = (['gauge', 'counter', 'histogram'] as const).find((k) => def[k] !== undefined);
      if (!kind) throw new Error('it names no gauge, counter or histogram');
      const body = def[kind] as Obj;
      const labels: Record<string, string> = {};
      for (const l of (def.labels as Obj[] | undefined) ?? []) labels[sub(l.key)] = sub(l.value).slice(0, MAX_LABEL_VALUE);
      return {
        name: sub(def.name),
        help: sub(def.help),
        labels,
        kind,
        value: sub(body.value),
        ...(typeof body.operation === 'string' && { operation: body.operation }),
        ...(Array.isArray(body.buckets) && { buckets: body.buckets.map(Number) }),
      };
    } catch (err) {
      log(`local engine: metric of ${where} skipped: ${(err as Error).message}`);
      return undefined;
    }
  }

  private record(m: Resolved, where: string, log: Log): void {
    const kept = this.metricFor(m, where, log);
    if (!kept || this.seriesKey(kept, m, where, log) === undefined) return;
    const value = Number(m.value);
    if (m.value.trim() === '' || !Number.isFinite(value)) {
      log(`local engine: metric ${m.name} of ${where} skipped: value ${JSON.stringify(m.value)} is not a number`);
      return;
    }
    try {
      if (kept.kind === 'counter') (kept.metric as Counter).inc(m.labels, value);
      else if (kept.kind === 'histogram') (kept.metric as Histogram).observe(m.labels, value);
      else if (m.operation === 'Add') (kept.metric as Gauge).inc(m.labels, value);
      else if (m.operation === 'Sub') (kept.metric as Gauge).dec(m.labels, value);
      else (kept.metric as Gauge).set(m.labels, value);
    } catch (err) {
      log(`local engine: metric ${m.name} of ${where} skipped: ${(err as Error).message}`);
    }
  }

  /** The registered metric for a definition, registering it on first use; undefined (logged) when it cannot be. */
  private metricFor(m: Resolved, where: string, log: Log): Kept | undefined {
    const skip = (why: string) => void log(`local engine: metric ${JSON.stringify(m.name)} of ${where} skipped: ${why}`);
    if (!NAME.test(m.name)) return skip('a metric name is letters, digits and _ only');
    if (!m.help) return skip('it has no help');
    const labelNames = Object.keys(m.labels).sort();
    const bad = labelNames.find((l) => !NAME.test(l) || l.startsWith('__'));
    if (bad !== undefined) return skip(`label ${JSON.stringify(bad)} is not a valid label name`);
    const existing = this.kept.get(m.name);
    if (existing) {
      if (existing.kind !== m.kind) return skip(`it is a ${existing.kind} already`);
      if (existing.help !== m.help) return skip('a metric of this name has another help');
      if (existing.labelNames.join() !== labelNames.join()) return skip('a metric of this name has other labels');
      return existing;
    }
    if (this.kept.size >= MAX_METRICS) return skip(`the engine keeps at most ${MAX_METRICS} custom metrics`);
    const name = PREFIX + m.name;
    const live = new Map<string, { labels: Record<string, string>; since: number }>();
    const config = { name, help: m.help, labelNames, registers: [this.registry] };
    let metric: Metric;
    if (m.kind === 'counter') metric = new Counter(config);
    else if (m.kind === 'histogram') metric = new Histogram({ ...config, ...(m.buckets?.length ? { buckets: m.buckets } : {}) });
    else
      metric = new Gauge({
        ...config,
        collect() {
          const now = Date.now();
          for (const { labels, since } of live.values()) this.set(labels, (now - since) / 1000);
        },
      });
    const kept: Kept = { metric, kind: m.kind, help: m.help, labelNames, series: new Set(), live };
    this.kept.set(m.name, kept);
    return kept;
  }

  /** The series' key, counted against the bound; undefined (logged) past it. */
  private seriesKey(kept: Kept, m: Resolved, where: string, log: Log): string | undefined {
    const key = JSON.stringify(kept.labelNames.map((l) => m.labels[l]));
    if (!kept.series.has(key)) {
      if (kept.series.size >= MAX_SERIES) {
        log(`local engine: metric ${m.name} of ${where} skipped: at most ${MAX_SERIES} label sets per metric`);
        return undefined;
      }
      kept.series.add(key);
    }
    return key;
  }
}

function definitions(metrics: unknown): Obj[] {
  const list = (metrics as Obj | undefined)?.prometheus;
  return Array.isArray(list) ? (list.filter((d) => d && typeof d === 'object') as Obj[]) : [];
}

/** The variables a template's metrics see once its node is done (operator.go:prepareMetricScope). */
export function nodeMetricVariables(node: NodeStatus, globals: Record<string, string>): Record<string, string> {
  const vars: Record<string, string> = { ...globals, status: node.phase };
  const start = node.startedAt ? Date.parse(node.startedAt) : NaN;
  const end = node.finishedAt ? Date.parse(node.finishedAt) : Date.now();
  vars.duration = String(Number.isNaN(start) ? 0 : Math.max(0, (end - start) / 1000));
  if (node.outputs?.exitCode !== undefined) vars.exitCode = node.outputs.exitCode;
  if (node.outputs?.result !== undefined) vars['outputs.result'] = node.outputs.result;
  for (const p of node.inputs?.parameters ?? []) if (p.value !== undefined) vars[`inputs.parameters.${p.name}`] = p.value;
  for (const p of node.outputs?.parameters ?? []) if (p.value !== undefined) vars[`outputs.parameters.${p.name}`] = p.value;
  return vars;
}
