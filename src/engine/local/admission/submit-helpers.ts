/** Submit-time helpers: `-p` overrides, label selectors, TTL (SEMANTICS §10, §13). */
import { validateWorkflowManifest } from '../../../argo/schema.ts';
import { ManifestRejectedError } from '../../errors.ts';
import type { Workflow } from '../../types.ts';
import type { Obj } from '../execution/context.ts';
import { evaluateExpression, nestVariables } from '../expressions/expr.ts';

/** Applies `-p NAME=VALUE` overrides (an override drops the parameter's enum), then checks enums. */
export function applyParameters(wf: Workflow, overrides: Record<string, string>): void {
  const args = (wf.spec.arguments ??= {}) as Obj;
  const params = (args.parameters ??= []) as Obj[];
  for (const [name, value] of Object.entries(overrides)) {
    const existing = params.find((p) => p.name === name);
    if (existing) {
      existing.value = value;
      delete existing.enum;
      delete existing.valueFrom;
    } else params.push({ name, value });
  }
  params.forEach((p, i) => {
    if (p.value === undefined && p.default !== undefined) p.value = p.default;
    if (p.value !== undefined && typeof p.value !== 'string') p.value = JSON.stringify(p.value);
    const allowed = p.enum as unknown[] | undefined;
    if (allowed && allowed.length > 0 && !allowed.map(String).includes(String(p.value))) {
      throw new ManifestRejectedError(
        `spec.arguments.parameters[${i}] (${String(p.name)}): value '${String(p.value)}' is not one of ${allowed.map(String).join(', ')}`,
        `spec.arguments.parameters[${i}].value`,
      );
    }
  });
}

/** `a=b,c==d` → `{a: 'b', c: 'd'}`; other selector forms are refused. */
export function parseLabelSelector(selector: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=!\s]+)\s*==?\s*([^=!\s]*)$/.exec(part);
    if (!m) throw new ManifestRejectedError(`unsupported label selector '${part}' (only key=value is supported)`, 'labelSelector');
    labels[m[1]!] = m[2]!;
  }
  return labels;
}

/** When a finished workflow is deleted per `ttlStrategy`, or undefined. */
export function deleteAfter(wf: Workflow): Date | undefined {
  const ttl = wf.spec.ttlStrategy as Obj | undefined;
  const finished = wf.status?.finishedAt;
  if (!ttl || !finished) return undefined;
  const phase = wf.status?.phase;
  const seconds =
    (phase === 'Succeeded' ? ttl.secondsAfterSuccess : phase === 'Failed' ? ttl.secondsAfterFailure : undefined) ??
    ttl.secondsAfterCompletion;
  if (seconds === undefined || seconds === null) return undefined;
  return new Date(new Date(finished).getTime() + Number(seconds) * 1000);
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const part of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/**
 * Argo's schema types IntOrString fields (retryStrategy.limit, activeDeadlineSeconds…) as strings, while Argo
 * itself takes `limit: 10`; a number where the schema wants a string is therefore not a problem.
 */
export function schemaProblems(manifest: Workflow): string[] {
  const validation = validateWorkflowManifest(manifest);
  if (validation.valid) return [];
  return validation.errors.filter((e) => {
    const m = /^(.*): must be string$/.exec(e);
    return !(m && typeof valueAt(manifest, m[1]!) === 'number');
  });
}

/**
 * `spec.workflowMetadata.labelsFrom` (operator.go:setGlobalParameters): each label is an `expr` expression over
 * the workflow's globals (`workflow.name`, `workflow.namespace`, `workflow.parameters.X`, …) that must give a
 * string. Argo errors the workflow when it does not; here the submit is refused, naming the label's field.
 */
export function applyLabelsFrom(wf: Workflow): void {
  const meta = (wf.spec as Obj).workflowMetadata as Obj | undefined;
  const from = (meta?.labelsFrom ?? {}) as Record<string, Obj>;
  const params = ((wf.spec.arguments as Obj | undefined)?.parameters as Obj[] | undefined) ?? [];
  const flat: Array<[string, string]> = [
    ['workflow.name', wf.metadata.name ?? ''],
    ['workflow.namespace', wf.metadata.namespace ?? ''],
    ['workflow.uid', wf.metadata.uid ?? ''],
    ['workflow.creationTimestamp', wf.metadata.creationTimestamp ?? ''],
    ...params.filter((p) => p.value !== undefined).map((p): [string, string] => [`workflow.parameters.${String(p.name)}`, String(p.value)]),
  ];
  for (const [label, source] of Object.entries(from)) {
    const field = `spec.workflowMetadata.labelsFrom.${label}.expression`;
    let value: unknown;
    try {
      value = evaluateExpression(String(source.expression ?? ''), nestVariables(flat));
    } catch (err) {
      throw new ManifestRejectedError(`${field}: ${(err as Error).message}`, field);
    }
    if (typeof value !== 'string')
      throw new ManifestRejectedError(
        `${field}: failed to evaluate label "${label}" expression "${String(source.expression)}": the result must be a string, not ${value === undefined ? 'an unknown variable' : typeof value}`,
        field,
      );
    wf.metadata.labels = { ...wf.metadata.labels, [label]: value };
  }
}
