/** Executes one template invocation: inputs, substitution, node creation, retries (SEMANTICS §2, §9). */
import { nodeMetricVariables } from './metrics.ts';
import type { NodeStatus } from '../../types.ts';
import { createNode, setPhase, type ArtifactRef, type Obj, type RunContext, type Template } from './context.ts';
import { runDag } from './dag.ts';
import { runPod, type InputArtifact } from '../pods/pod.ts';
import { resolveTemplateOutputs } from './outputs.ts';
import { runSteps } from './steps.ts';
import { runSuspend } from './suspend.ts';
import { runHttp } from './http.ts';
import { runData } from './data.ts';
import { killDaemons } from './daemons.ts';
import { runUnschedulable, unschedulable } from './node-selector.ts';
import { mainContainerOf } from '../pods/container-set.ts';
import type { RemoteSource } from './remote-artifacts.ts';
import { executeRetried } from './retry.ts';
import { inputVariables, resolveInputArtifacts, resolveParams } from './call-inputs.ts';
import { memoizedNode, memoizeKey, memoizeResult } from './memoize.ts';
import { ExpressionError } from '../errors.ts';
import { nestVariables } from '../expressions/expr.ts';
import { mapLookup, substituteObject } from '../expressions/substitute.ts';

export { remoteOf } from './call-inputs.ts';

/** Arguments a caller passes: parameter values already substituted, artifacts resolved to stored refs. */
export interface CallArguments {
  parameters?: Array<{ name: string; value?: string }>;
  artifacts?: Array<{ name: string; source?: ArtifactRef; raw?: string; remote?: RemoteSource }>;
}

export interface TemplateCall {
  nodeName: string;
  /** Empty for an inline template. */
  templateName: string;
  /** A step's or task's `inline` template. */
  inline?: Template;
  boundaryId?: string;
  arguments: CallArguments;
  /** `steps.name` / `tasks.name` of the calling step. */
  callerName?: { kind: 'steps' | 'tasks'; name: string };
  captureResult: boolean;
  /** Attaches the created node to its parent(s). */
  link(id: string): void;
}

/**
 * Runs a template call, wrapping it in a Retry node when a retryStrategy applies, and records the template's
 * metrics once it is done (realtime gauges while it runs). Undefined: not created (stopped).
 */
export async function executeTemplate(ctx: RunContext, call: TemplateCall): Promise<NodeStatus | undefined> {
  const metrics = (call.inline ?? ctx.templates.get(call.templateName))?.metrics;
  if (metrics === undefined) return executeRetried(ctx, call, executeOnce);
  const where = `node ${call.nodeName}`;
  const endRealtime = ctx.metrics.startRealtime(metrics, ctx.globals, where, (m) => ctx.log(m));
  try {
    const node = await executeRetried(ctx, call, executeOnce);
    if (node) ctx.metrics.emit(metrics, nodeMetricVariables(node, ctx.globals), where, (m) => ctx.log(m));
    return node;
  } finally {
    endRealtime();
  }
}

/** A template that runs as one node (no steps or dag below it). */
const isLeaf = (t: Template) => [t.container, t.script, t.containerSet, t.suspend, t.http, t.data].some((x) => x !== undefined);

/** The template with the call's variables substituted, or the Error node of an expression that fails. */
function substituted(
  ctx: RunContext,
  call: TemplateCall,
  raw: Template,
  vars: Record<string, string>,
): { tmpl: Template } | { node: NodeStatus } {
  const leaf = isLeaf(raw);
  try {
    const tmpl = substituteObject(raw, mapLookup(vars, ctx.globals), undefined, {
      final: leaf,
      env: () => nestVariables(Object.entries({ ...ctx.globals, ...vars })),
    });
    return { tmpl };
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    const node = createNode(ctx, {
      name: call.nodeName,
      type: leaf ? (raw.http !== undefined ? 'HTTP' : 'Pod') : 'Skipped',
      templateName: call.templateName,
      boundaryId: call.boundaryId,
      phase: 'Error',
      message: err.message,
    });
    call.link(node.id);
    return { node };
  }
}

async function executeOnce(ctx: RunContext, call: TemplateCall, retries: number | undefined): Promise<NodeStatus | undefined> {
  // A suspended workflow (spec.suspend) starts no new nodes until it is resumed (operator.go: ShouldSuspend).
  await ctx.held();
  if (ctx.stopped) return undefined;
  const raw = call.inline ?? ctx.templates.get(call.templateName)!;
  const params = resolveParams(ctx, call, raw, retries);
  if (!Array.isArray(params)) return params;
  const vars = inputVariables(ctx, call, raw, params, retries);
  const sub = substituted(ctx, call, raw, vars);
  if ('node' in sub) return sub.node;
  const { tmpl } = sub;
  const inputs: NodeStatus['inputs'] = {};
  if (params.length > 0) inputs.parameters = params;
  const inputArtifacts = resolveInputArtifacts(call, tmpl, inputs);
  const memo = memoizeKey(ctx, tmpl);
  if (memo) {
    const hit = await memoizedNode(ctx, call, tmpl, memo, inputs);
    if (hit) return hit;
  }
  const node = await runBody(ctx, call, tmpl, inputs, inputArtifacts, vars);
  if (memo && node) await memoizeResult(ctx, memo, node);
  return node;
}

/** A containerSet template as pod.ts runs it: its main container as `container`, with the set's volume mounts. */
function withMainContainer(tmpl: Template): Template {
  const set = tmpl.containerSet as Obj | undefined;
  if (!set) return tmpl;
  const main = mainContainerOf(set);
  const mounts = [...((main.volumeMounts as Obj[] | undefined) ?? []), ...((set.volumeMounts as Obj[] | undefined) ?? [])];
  return { ...tmpl, container: { ...main, volumeMounts: mounts } };
}

/** A leaf template's node: suspend, data, http, or a pod (container, script, containerSet). */
async function runLeaf(
  ctx: RunContext,
  call: TemplateCall,
  tmpl: Template,
  inputs: NonNullable<NodeStatus['inputs']>,
  inputArtifacts: InputArtifact[],
): Promise<NodeStatus | undefined> {
  const leafCall = { nodeName: call.nodeName, templateName: call.templateName, boundaryId: call.boundaryId, inputs, link: call.link };
  if (tmpl.suspend !== undefined) return runSuspend(ctx, leafCall, tmpl);
  if (tmpl.data !== undefined) return runData(ctx, leafCall, tmpl);
  if (tmpl.http !== undefined) return runHttp(ctx, leafCall, tmpl);
  const pending = unschedulable(ctx, tmpl);
  if (pending !== undefined) return runUnschedulable(ctx, leafCall, pending);
  return runPod(ctx, { ...leafCall, tmpl: withMainContainer(tmpl), inputArtifacts, captureResult: call.captureResult });
}

async function runBody(
  ctx: RunContext,
  call: TemplateCall,
  tmpl: Template,
  inputs: NonNullable<NodeStatus['inputs']>,
  inputArtifacts: InputArtifact[],
  vars: Record<string, string>,
): Promise<NodeStatus | undefined> {
  if (isLeaf(tmpl)) return runLeaf(ctx, call, tmpl, inputs, inputArtifacts);
  const node = createNode(ctx, {
    name: call.nodeName,
    type: tmpl.steps ? 'Steps' : 'DAG',
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Running',
  });
  if (inputs.parameters || inputs.artifacts) node.inputs = inputs;
  call.link(node.id);
  // A steps/dag template hands its input artifacts on with `from: "{{inputs.artifacts.X}}"`.
  const passed = new Map(
    inputArtifacts
      .filter((a) => a.source || a.remote)
      .map((a) => [`inputs.artifacts.${a.name}`, { ...(a.remote ?? a.source!), name: a.name } as ArtifactRef]),
  );
  const base = { ...ctx.globals, ...vars };
  const scope = tmpl.steps ? await runSteps(ctx, node, tmpl, passed, base) : await runDag(ctx, node, tmpl, passed, base);
  // The daemons this steps/dag node started end with it (killDaemonedChildren).
  killDaemons(ctx, node.id);
  if (node.phase === 'Succeeded') {
    try {
      resolveTemplateOutputs(ctx, node, tmpl, scope, vars);
    } catch (err) {
      setPhase(ctx, node, 'Error', (err as Error).message);
    }
  }
  return node;
}
