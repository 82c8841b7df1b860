/** The workflow's global variables at start (operator.go:setGlobalParameters). */
import type { Workflow } from '../../types.ts';
import type { Obj } from './context.ts';

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
