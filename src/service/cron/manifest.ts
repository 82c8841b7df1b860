/**
 * A CronWorkflow manifest as Argo's API takes it (io.argoproj.workflow.v1alpha1.CronWorkflow): its cron
 * fields checked here, naming the field; its `workflowSpec` checked as the Workflow each run creates, with
 * Argo's schema and the local engine's admission, so a spec the engine would refuse is refused at create.
 */
import type { Workflow } from '../../argo/types.ts';
import { schemaProblems } from '../../engine/local/admission/submit-helpers.ts';
import { checkLocalSubset } from '../../engine/local/admission/subset.ts';
import { checkAdmission } from '../../engine/local/admission/pod-security.ts';
import { ManifestRejectedError } from '../../engine/errors.ts';
import { RequestValidationError } from '../errors.ts';
import { parseSchedule } from './schedule.ts';

const CRON_LABEL = 'workflows.argoproj.io/cron-workflow';
const SCHEDULED_TIME_ANNOTATION = 'workflows.argoproj.io/scheduled-time';
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;

interface CronWorkflowSpec {
  schedule?: string;
  schedules?: string[];
  timezone?: string;
  concurrencyPolicy?: (typeof CONCURRENCY_POLICIES)[number];
  startingDeadlineSeconds?: number;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  suspend?: boolean;
  when?: string;
  stopStrategy?: { expression: string };
  workflowSpec: Workflow['spec'];
  workflowMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface CronWorkflowManifest {
  apiVersion: string;
  kind: 'CronWorkflow';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: CronWorkflowSpec;
}

/** Kubernetes object names (RFC 1123 subdomain); Argo keeps cron names to 52 characters so `-<unix time>` fits 63. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KNOWN_SPEC = new Set([
  'schedule',
  'schedules',
  'timezone',
  'concurrencyPolicy',
  'startingDeadlineSeconds',
  'successfulJobsHistoryLimit',
  'failedJobsHistoryLimit',
  'suspend',
  'when',
  'stopStrategy',
  'workflowSpec',
  'workflowMetadata',
]);

function fail(loc: string[], msg: string): never {
  throw new RequestValidationError([{ type: 'value_error', loc: ['body', ...loc], msg }]);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkInteger(spec: Record<string, unknown>, field: string): void {
  const v = spec[field];
  if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0)) fail(['spec', field], 'must be a non-negative integer');
}

/** The schedules of a spec: `schedules`, else `schedule` (Argo's GetSchedules). */
export function schedulesOf(spec: CronWorkflowSpec): string[] {
  return spec.schedules && spec.schedules.length > 0 ? spec.schedules : spec.schedule ? [spec.schedule] : [];
}

function checkSchedules(spec: Record<string, unknown>): void {
  if (spec.schedule !== undefined && typeof spec.schedule !== 'string') fail(['spec', 'schedule'], 'must be a string');
  if (spec.schedules !== undefined && !(Array.isArray(spec.schedules) && spec.schedules.every((s) => typeof s === 'string')))
    fail(['spec', 'schedules'], 'must be a list of strings');
  if (spec.schedule && Array.isArray(spec.schedules) && spec.schedules.length > 0)
    fail(['spec', 'schedules'], 'give "schedule" or "schedules", not both');
  if (spec.timezone !== undefined && typeof spec.timezone !== 'string') fail(['spec', 'timezone'], 'must be a string');
  const schedules = schedulesOf(spec as unknown as CronWorkflowSpec);
  if (schedules.length === 0) fail(['spec', 'schedules'], 'at least one schedule is required ("schedule" or "schedules")');
  schedules.forEach((s, i) => {
    const field = spec.schedules ? ['spec', 'schedules', String(i)] : ['spec', 'schedule'];
    try {
      parseSchedule(s, spec.timezone as string | undefined, new Date());
    } catch (err) {
      const msg = (err as Error).message;
      fail(/time ?zone/i.test(msg) ? ['spec', 'timezone'] : field, `${JSON.stringify(s)}: ${msg}`);
    }
  });
}

function checkCronFields(spec: Record<string, unknown>): void {
  for (const key of Object.keys(spec)) if (!KNOWN_SPEC.has(key)) fail(['spec', key], 'unknown field of a CronWorkflow spec');
  checkSchedules(spec);
  if (spec.concurrencyPolicy !== undefined && !CONCURRENCY_POLICIES.includes(spec.concurrencyPolicy as never))
    fail(['spec', 'concurrencyPolicy'], `must be one of ${CONCURRENCY_POLICIES.join(', ')}`);
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) checkInteger(spec, f);
  if (spec.suspend !== undefined && typeof spec.suspend !== 'boolean') fail(['spec', 'suspend'], 'must be a boolean');
  if (spec.when !== undefined && typeof spec.when !== 'string') fail(['spec', 'when'], 'must be a string');
  if (spec.stopStrategy !== undefined && !(isObject(spec.stopStrategy) && typeof spec.stopStrategy.expression === 'string'))
    fail(['spec', 'stopStrategy', 'expression'], 'must be a string');
  if (!isObject(spec.workflowSpec)) fail(['spec', 'workflowSpec'], 'is required: the Workflow spec each run creates');
}

/**
 * Checks a parsed document and returns it typed; throws RequestValidationError (422) whose `loc` names the
 * field. `namespace`: where it is kept when the manifest names none. Its runs' Workflow is then checked by
 * `admitChild` once its template references are resolved (the templates are the user's, kept in the database).
 */
export function checkCronWorkflow(doc: unknown, namespace: string): CronWorkflowManifest {
  if (!isObject(doc)) fail([], 'expected a CronWorkflow object');
  if (doc.kind !== 'CronWorkflow') fail(['kind'], `must be "CronWorkflow", got ${JSON.stringify(doc.kind)}`);
  const metadata = doc.metadata;
  if (!isObject(metadata) || typeof metadata.name !== 'string') fail(['metadata', 'name'], 'is required');
  if (!NAME.test(metadata.name) || metadata.name.length > 52)
    fail(['metadata', 'name'], 'must be lower-case letters, digits and "-", at most 52 characters (Argo appends -<unix time>)');
  if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || !NAME.test(metadata.namespace)))
    fail(['metadata', 'namespace'], 'must be a Kubernetes namespace name');
  if (!isObject(doc.spec)) fail(['spec'], 'is required');
  checkCronFields(doc.spec);
  const manifest = structuredClone(doc) as unknown as CronWorkflowManifest;
  manifest.apiVersion ??= 'argoproj.io/v1alpha1';
  manifest.metadata.namespace ??= namespace;
  checkWorkflowSchema(manifest);
  return manifest;
}

/**
 * A recipe run writes the shared volume only under the folder of a recipe its user may publish (runs/owners.ts);
 * a CronWorkflow's spec is the user's own, so only admin may mount PersistentVolumeClaims in it.
 */
function checkNoClaims(spec: Record<string, unknown>): void {
  const lists: Array<[unknown, string[]]> = [[spec.volumes, ['volumes']]];
  const templates = Array.isArray(spec.templates) ? (spec.templates as Array<Record<string, unknown>>) : [];
  templates.forEach((t, i) => lists.push([t?.volumes, ['templates', String(i), 'volumes']]));
  for (const [list, loc] of lists) {
    if (!Array.isArray(list)) continue;
    list.forEach((v: Record<string, unknown> | null, i) => {
      if (v && v.persistentVolumeClaim !== undefined)
        fail(
          ['spec', 'workflowSpec', ...loc, String(i), 'persistentVolumeClaim'],
          'only admin may mount a PersistentVolumeClaim in a CronWorkflow',
        );
    });
  }
}

/** The Workflow a run at `scheduled` creates, as Argo's ConvertCronWorkflowToWorkflowWithProperties builds it. */
export function childWorkflow(cron: CronWorkflowManifest, scheduled: Date): Workflow {
  const { metadata, spec } = cron;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name: `${metadata.name}-${Math.floor(scheduled.getTime() / 1000)}`,
      namespace: metadata.namespace,
      labels: { ...spec.workflowMetadata?.labels, [CRON_LABEL]: metadata.name },
      annotations: {
        ...spec.workflowMetadata?.annotations,
        [SCHEDULED_TIME_ANNOTATION]: scheduled.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    },
    spec: structuredClone(spec.workflowSpec),
  } as Workflow;
}

function checkWorkflowSchema(cron: CronWorkflowManifest): void {
  const wf = childWorkflow(cron, new Date(0));
  const problems = schemaProblems(wf);
  if (problems.length > 0) {
    const [pointer, msg] = problems[0]!.split(/: (.*)/s) as [string, string];
    const loc = pointer
      .replace(/^\/spec\/?/, '')
      .split('/')
      .filter(Boolean);
    fail(['spec', 'workflowSpec', ...loc], `${msg} (Argo's Workflow schema)`);
  }
}

/** A ManifestRejectedError of the child's spec as a 422 naming `spec.workflowSpec.<field>`. */
export function asSpecError(err: unknown): unknown {
  if (!(err instanceof ManifestRejectedError)) return err;
  const field = (err.field ?? '').replace(/^spec\.?/, '');
  return new RequestValidationError([
    { type: 'value_error', loc: ['body', 'spec', 'workflowSpec', ...field.split('.').filter(Boolean)], msg: err.message },
  ]);
}

/**
 * Checks a run's Workflow, its template references resolved, as the local engine admits it; a non-admin's may
 * mount no PersistentVolumeClaim (through a template either). Throws RequestValidationError naming the field.
 */
export function admitChild(wf: Workflow, owner: { isAdmin: boolean }): void {
  try {
    checkLocalSubset(wf);
    checkAdmission(wf);
  } catch (err) {
    throw asSpecError(err);
  }
  if (!owner.isAdmin) checkNoClaims(wf.spec as unknown as Record<string, unknown>);
}
