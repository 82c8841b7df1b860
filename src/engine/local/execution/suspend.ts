/**
 * `suspend` templates and resuming them (operator.go:executeSuspend, util.go:ResumeWorkflow). A Suspend node is
 * Running until `resume` (or its `duration` passes); its `valueFrom.supplied` outputs take the values given with
 * the resume, else their defaults (an output without one takes the default of the input of the same name).
 */
import { ResumeRejectedError } from '../../errors.ts';
import type { NodeStatus } from '../../types.ts';
import { createNode, setPhase, type Obj, type RunContext, type Template } from './context.ts';
import { durationSeconds } from '../expressions/durations.ts';

/** A Suspend node waiting for its resume. */
export interface SuspendedNode {
  readonly node: NodeStatus;
  /** Its template, substituted. */
  readonly tmpl: Template;
  /** Output names that take a supplied value. */
  readonly supplied: string[];
  /** Ends the wait: Succeeded with these outputs set (defaults for the rest). */
  resume(values: Record<string, string>): void;
}

/** What the node's outputs are once resumed; throws the message Argo gives for a supplied output without a value. */
function resolvedOutputs(tmpl: Template, values: Record<string, string>): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const p of tmpl.outputs?.parameters ?? []) {
    const name = String(p.name);
    const vf = (p.valueFrom ?? {}) as Obj;
    if (vf.supplied === undefined) continue;
    const inputDefault = tmpl.inputs?.parameters?.find((i) => i.name === name)?.default;
    const value = values[name] ?? vf.default ?? inputDefault;
    if (value === undefined || value === null)
      throw new Error(`raw output parameter '${name}' has not been set and does not have a default value`);
    out.push({ name, value: String(value) });
  }
  return out;
}

interface SuspendCall {
  nodeName: string;
  templateName: string;
  boundaryId?: string;
  inputs?: NodeStatus['inputs'];
  link(id: string): void;
}

/** Creates the Suspend node and waits for its resume, its duration, or a stop. */
export async function runSuspend(ctx: RunContext, call: SuspendCall, tmpl: Template): Promise<NodeStatus> {
  const node = createNode(ctx, {
    name: call.nodeName,
    type: 'Suspend',
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Running',
  });
  if (call.inputs && (call.inputs.parameters?.length || call.inputs.artifacts?.length)) node.inputs = call.inputs;
  call.link(node.id);
  const supplied = (tmpl.outputs?.parameters ?? []).filter((p) => (p.valueFrom as Obj | undefined)?.supplied !== undefined);
  const duration = durationSeconds((tmpl.suspend as Obj | undefined)?.duration);
  type Outcome = { values: Record<string, string> } | { stopped: string } | { expired: true };
  const outcome = await new Promise<Outcome>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const killable = { kill: (message: string) => end({ stopped: message }) };
    const end = (o: Outcome) => {
      if (timer) clearTimeout(timer);
      ctx.suspended.delete(node.id);
      ctx.running.delete(killable);
      resolve(o);
    };
    if (ctx.stopped) return end({ stopped: ctx.stopped.nodeMessage });
    if (duration !== undefined) timer = setTimeout(() => end({ expired: true }), duration * 1000);
    ctx.suspended.set(node.id, { node, tmpl, supplied: supplied.map((p) => String(p.name)), resume: (values) => end({ values }) });
    ctx.running.add(killable);
  });
  if ('stopped' in outcome) {
    setPhase(ctx, node, 'Failed', outcome.stopped);
    return node;
  }
  let outputs: Array<{ name: string; value: string }>;
  try {
    outputs = resolvedOutputs(tmpl, 'values' in outcome ? outcome.values : {});
  } catch (err) {
    setPhase(ctx, node, 'Error', (err as Error).message);
    return node;
  }
  if (outputs.length > 0) node.outputs = { ...node.outputs, parameters: outputs };
  for (const p of tmpl.outputs?.parameters ?? []) {
    const value = outputs.find((o) => o.name === p.name)?.value;
    if (typeof p.globalName === 'string' && value !== undefined) ctx.globals[`workflow.outputs.parameters.${p.globalName}`] = value;
  }
  setPhase(ctx, node, 'Succeeded');
  return node;
}

/**
 * Resumes the workflow's Suspend nodes with `values` for their supplied outputs. Checks first that every one
 * can end (each supplied output given or defaulted), so a refusal leaves them all waiting.
 */
export function resumeSuspended(ctx: RunContext, values: Record<string, string>): number {
  const waiting = [...ctx.suspended.values()];
  const known = new Set(waiting.flatMap((w) => w.supplied));
  for (const name of Object.keys(values))
    if (!known.has(name)) throw new ResumeRejectedError(ctx.name, `node is not expecting output parameter '${name}'`);
  for (const w of waiting) {
    try {
      resolvedOutputs(w.tmpl, values);
    } catch (err) {
      throw new ResumeRejectedError(ctx.name, (err as Error).message);
    }
  }
  for (const w of waiting) w.resume(values);
  return waiting.length;
}
