/** A workflow's start and end: its global variables (operator.go:setGlobalParameters), the entrypoint's arguments, its final status. */
import type { NodeStatus, Workflow, WorkflowPhase } from '../../types.ts';
import { now, type Obj, type RunContext } from './context.ts';
import { remoteOf } from './call-inputs.ts';
import type { CallArguments } from './template.ts';

/** Globals that change while the workflow runs: substituted when a template runs, not at start. */
export const RUNTIME_GLOBALS = ['workflow.status', 'workflow.failures', 'workflow.duration'];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** util/strftime.FormatChars, each as Go's layout formats a UTC time (the controller's zone). */
function strftimeChars(t: Date): Record<string, string> {
  const h12 = t.getUTCHours() % 12 || 12;
  return {
    B: MONTHS[t.getUTCMonth()]!,
    b: MONTHS[t.getUTCMonth()]!.slice(0, 3),
    m: pad(t.getUTCMonth() + 1),
    A: DAYS[t.getUTCDay()]!,
    a: DAYS[t.getUTCDay()]!.slice(0, 3),
    d: pad(t.getUTCDate()),
    H: pad(t.getUTCHours()),
    I: pad(h12),
    M: pad(t.getUTCMinutes()),
    S: pad(t.getUTCSeconds()),
    Y: String(t.getUTCFullYear()),
    y: pad(t.getUTCFullYear() % 100),
    p: t.getUTCHours() < 12 ? 'AM' : 'PM',
    Z: 'UTC',
    z: '+0000',
    L: `.${pad(t.getUTCMilliseconds(), 3)}`,
  };
}

/** json.Marshal of wfv1.Parameter: its fields in Go's order, empty ones left out, values as strings. */
function parameterJson(p: Obj): Obj {
  const out: Obj = {};
  for (const k of ['name', 'default', 'value', 'valueFrom', 'globalName', 'enum', 'description']) {
    const v = p[k];
    if (v === undefined || v === null || v === '') continue;
    out[k] = (k === 'value' || k === 'default') && typeof v !== 'string' ? JSON.stringify(v) : v;
  }
  return out;
}

/** Every `workflow.*` variable Argo sets before the first node (the changing ones at their start value). */
export function globalsOf(wf: Workflow): Record<string, string> {
  const params = ((wf.spec.arguments as Obj | undefined)?.parameters as Obj[] | undefined) ?? [];
  const created = wf.metadata.creationTimestamp ?? '';
  const annotations = wf.metadata.annotations ?? {};
  const labels = wf.metadata.labels ?? {};
  const paramsJson = JSON.stringify(params.map(parameterJson));
  const g: Record<string, string> = {
    'workflow.name': wf.metadata.name!,
    'workflow.namespace': wf.metadata.namespace ?? '',
    'workflow.uid': wf.metadata.uid ?? '',
    'workflow.mainEntrypoint': String(wf.spec.entrypoint),
    'workflow.serviceAccountName': String(wf.spec.serviceAccountName ?? ''),
    'workflow.creationTimestamp': created,
    'workflow.creationTimestamp.RFC3339': created,
    'workflow.status': 'Running',
    'workflow.parameters': paramsJson,
    'workflow.parameters.json': paramsJson,
    'workflow.annotations': JSON.stringify(annotations),
    'workflow.annotations.json': JSON.stringify(annotations),
    'workflow.labels': JSON.stringify(labels),
    'workflow.labels.json': JSON.stringify(labels),
    'workflow.duration': '0.000000',
    'workflow.failures': '[]',
  };
  const at = new Date(created);
  if (created && !Number.isNaN(at.getTime())) {
    g['workflow.creationTimestamp.s'] = String(Math.floor(at.getTime() / 1000));
    for (const [c, v] of Object.entries(strftimeChars(at))) g[`workflow.creationTimestamp.${c}`] = v;
  }
  const scheduled = annotations['workflows.argoproj.io/scheduled-time'];
  if (scheduled !== undefined) g['workflow.scheduledTime'] = scheduled;
  if (wf.spec.priority !== undefined && wf.spec.priority !== null) g['workflow.priority'] = String(Math.trunc(Number(wf.spec.priority)));
  for (const [k, v] of Object.entries(annotations)) g[`workflow.annotations.${k}`] = v;
  for (const [k, v] of Object.entries(labels)) g[`workflow.labels.${k}`] = v;
  for (const p of params) if (p.value !== undefined) g[`workflow.parameters.${String(p.name)}`] = String(p.value);
  return g;
}

/** The entrypoint's arguments: spec.arguments' parameters and artifacts (key-only, raw, http or git). */
export function entrypointArguments(spec: Obj): CallArguments {
  const args = (spec.arguments ?? {}) as Obj;
  const params = (args.parameters as Obj[] | undefined) ?? [];
  const artifacts = ((args.artifacts as Obj[] | undefined) ?? []).map((a) => {
    const key = (a.s3 as Obj | undefined)?.key;
    const raw = (a.raw as Obj | undefined)?.data;
    return {
      name: String(a.name),
      ...(typeof key === 'string' ? { source: { name: String(a.name), s3: { key } } } : {}),
      ...(typeof raw === 'string' ? { raw } : {}),
      ...(a.http || a.git ? { remote: remoteOf(a) } : {}),
    };
  });
  return {
    parameters: params.map((p) => ({ name: String(p.name), value: p.value === undefined ? undefined : String(p.value) })),
    artifacts,
  };
}

/** workflow.status from the root node's phase (operator.go: Skipped/Omitted count as Succeeded). */
export function rootPhase(root: NodeStatus): WorkflowPhase {
  if (root.phase === 'Skipped' || root.phase === 'Omitted') return 'Succeeded';
  return root.phase === 'Failed' || root.phase === 'Error' || root.phase === 'Succeeded' ? root.phase : 'Failed';
}

/**
 * The finished workflow's status: its phase (the root's, a forced one, or a failed exit handler's on a workflow
 * that had succeeded, operator.go), message, global outputs, the Completed condition and Argo's labels.
 */
export function finalStatus(
  ctx: RunContext,
  root: NodeStatus | undefined,
  forced: WorkflowPhase | undefined,
  exit: NodeStatus | undefined,
): WorkflowPhase {
  const wf = ctx.wf;
  const status = wf.status!;
  let phase: WorkflowPhase = forced ?? (root ? rootPhase(root) : 'Failed');
  if (phase === 'Succeeded' && exit && (exit.phase === 'Failed' || exit.phase === 'Error')) {
    phase = exit.phase;
    if (exit.message) status.message = exit.message;
  }
  status.phase = phase;
  const message = ctx.stopped?.workflowMessage ?? status.message ?? root?.message ?? ctx.stopped?.nodeMessage;
  if (message && phase !== 'Succeeded') status.message = message;
  else delete status.message;
  status.finishedAt = now();
  const outputs = Object.entries(ctx.globals)
    .filter(([k]) => k.startsWith('workflow.outputs.parameters.'))
    .map(([k, value]) => ({ name: k.slice('workflow.outputs.parameters.'.length), value }));
  if (outputs.length > 0) status.outputs = { parameters: outputs };
  if (ctx.globalArtifacts.size > 0) (status.outputs ??= {}).artifacts = [...ctx.globalArtifacts.values()];
  (status as Obj).conditions = [{ type: 'Completed', status: 'True' }];
  wf.metadata.labels = { ...wf.metadata.labels, 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': phase };
  return phase;
}
