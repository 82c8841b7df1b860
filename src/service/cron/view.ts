/** The API's shape of a CronWorkflow: Argo's object (metadata, spec, status) plus the service's summary fields. */
import { schedulesOf } from './manifest.ts';
import type { CronRow, CronRun } from './repository.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

export function cronView(cron: CronRow, runs: CronRun[], next: Date | undefined) {
  const { manifest } = cron;
  const active = runs.filter((r) => !r.finishedAt);
  const last = runs[runs.length - 1];
  return {
    apiVersion: manifest.apiVersion,
    kind: 'CronWorkflow',
    metadata: { ...manifest.metadata, creationTimestamp: iso(cron.createdAt) },
    spec: { ...manifest.spec, suspend: cron.suspended },
    status: {
      active: active.map((r) => ({
        kind: 'Workflow',
        apiVersion: 'argoproj.io/v1alpha1',
        name: r.workflowName,
        namespace: cron.namespace,
      })),
      lastScheduledTime: iso(cron.lastScheduledTime),
      succeeded: cron.succeeded,
      failed: cron.failed,
      phase: cron.phase,
      conditions: cron.conditions,
    },
    owner: cron.owner,
    schedules: schedulesOf(manifest.spec),
    timezone: manifest.spec.timezone ?? 'UTC',
    suspended: cron.suspended,
    next_run: iso(next),
    last_run: last ? { workflow_name: last.workflowName, scheduled_time: iso(last.scheduledTime), phase: last.phase } : null,
    active_runs: active.map((r) => r.workflowName),
  };
}

export const cronViewSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    kind: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
    spec: { type: 'object', additionalProperties: true },
    status: { type: 'object', additionalProperties: true },
    owner: { type: 'string' },
    schedules: { type: 'array', items: { type: 'string' } },
    timezone: { type: 'string' },
    suspended: { type: 'boolean' },
    next_run: { type: ['string', 'null'] },
    last_run: { type: ['object', 'null'], additionalProperties: true },
    active_runs: { type: 'array', items: { type: 'string' } },
  },
} as const;
