/** Executes one template invocation: inputs, substitution, node creation, retries (SEMANTICS §2, §9). */
import { nodeMetricVariables } from './metrics.ts';
import { SUBMITTER_LABEL } from '../admission/artifact-scope.ts';
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import { addChild, createNode, setPhase, stopState, type ArtifactRef, type Obj, type RunContext, type Template } from './context.ts';
import { runDag } from './dag.ts';
import { podName } from '../state/names.ts';
import { runPod, type InputArtifact } from '../pods/pod.ts';
import { resolveTemplateOutputs } from './outputs.ts';
import { ABSENT_ARGUMENT } from './scope.ts';
import { runSteps } from './steps.ts';
import { runSuspend } from './suspend.ts';
import { runHttp } from './http.ts';
import { runData } from './data.ts';
import { daemonedRetry, killDaemons } from './daemons.ts';
import { runUnschedulable, unschedulable } from './node-selector.ts';
import { mainContainerOf } from '../pods/container-set.ts';
import type { RemoteSource } from './remote-artifacts.ts';
import { ExpressionError } from '../errors.ts';
import { durationSeconds } from '../expressions/durations.ts';
import { evaluateExpression, nestVariables } from '../expressions/expr.ts';
import { mapLookup, substituteObject, substituteString } from '../expressions/substitute.ts';

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

const RETRYABLE: Record<string, Array<NodeStatus['phase']>> = {
  Always: ['Failed', 'Error'],
  OnFailure: ['Failed'],
  OnError: ['Error'],
  OnTransientError: [],
};

/** Seconds from Argo duration text (`30`, `30s`, `2m`, `1h`); 0 when absent. */
function seconds(raw: unknown): number {
  return durationSeconds(raw) ?? 0;
}

/** An artifact's own `http` or `git` source. */
export function remoteOf(a: Obj): RemoteSource | undefined {
  if (a.http) return { http: a.http as Obj };
  if (a.git) return { git: a.git as Obj };
  return undefined;
}

/**
 * Runs a template call, wrapping it in a Retry node when a retryStrategy applies, and records the template's
 * metrics once it is done (realtime gauges while it runs). Undefined: not created (stopped).
 */
export async function executeTemplate(ctx: RunContext, call: TemplateCall): Promise<NodeStatus | undefined> {
  const metrics = (call.inline ?? ctx.templates.get(call.templateName))?.metrics;
  if (metrics === undefined) return executeRetried(ctx, call);
  const where = `node ${call.nodeName}`;
  const endRealtime = ctx.metrics.startRealtime(metrics, ctx.globals, where, (m) => ctx.log(m));
  try {
    const node = await executeRetried(ctx, call);
    if (node) ctx.metrics.emit(metrics, nodeMetricVariables(node, ctx.globals), where, (m) => ctx.log(m));
    return node;
  } finally {
    endRealtime();
  }
}

async function executeRetried(ctx: RunContext, call: TemplateCall): Promise<NodeStatus | undefined> {
  const tmpl = call.inline ?? ctx.templates.get(call.templateName)!;
  const strategy = (tmpl.retryStrategy ?? ctx.spec.retryStrategy) as Obj | undefined;
  if (!strategy) return executeOnce(ctx, call, undefined);
  if (ctx.stopped) return undefined;
  const retry = createNode(ctx, {
    name: call.nodeName,
    type: 'Retry',
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Running',
  });
  call.link(retry.id);
  const limit = strategy.limit === undefined ? Infinity : Number(strategy.limit);
  const expression = typeof strategy.expression === 'string' ? retryExpression(ctx, call, tmpl, strategy.expression) : undefined;
  // With an expression and no policy, Argo retries Failed and Error alike.
  const retryable = RETRYABLE[String(strategy.retryPolicy ?? (expression ? 'Always' : 'OnFailure'))] ?? ['Failed'];
  const backoff = strategy.backoff as Obj | undefined;
  const firstStart = Date.now();
  for (let attempt = 0; ; attempt++) {
    const child = await executeOnce(
      ctx,
      { ...call, nodeName: `${call.nodeName}(${attempt})`, link: (id) => addChild(ctx, retry.id, id) },
      attempt,
    );
    if (!child) {
      setPhase(ctx, retry, 'Failed', stopState(ctx)?.nodeMessage);
      return retry;
    }
    if (child.inputs) retry.inputs = child.inputs;
    if (child.outputs) retry.outputs = child.outputs;
    if (child.daemoned) {
      daemonedRetry(ctx, retry, child);
      return retry;
    }
    if (child.phase === 'Succeeded') {
      setPhase(ctx, retry, 'Succeeded');
      return retry;
    }
    if (!retryable.includes(child.phase) || ctx.stopped) {
      setPhase(ctx, retry, child.phase, child.message);
      return retry;
    }
    if (attempt >= limit) {
      setPhase(ctx, retry, child.phase, 'No more retries left');
      return retry;
    }
    if (expression && !evaluateRetryExpression(expression, child)) {
      setPhase(ctx, retry, child.phase, 'retryStrategy.expression evaluated to false');
      return retry;
    }
    if (backoff) {
      let wait = seconds(backoff.duration) * Math.pow(Number(backoff.factor ?? 1) || 1, attempt);
      if (backoff.cap !== undefined) wait = Math.min(wait, seconds(backoff.cap));
      const max = seconds(backoff.maxDuration);
      if (max > 0 && (Date.now() - firstStart) / 1000 + wait > max) {
        setPhase(ctx, retry, child.phase, 'Max duration limit exceeded');
        return retry;
      }
      if (wait > 0) await new Promise((r) => setTimeout(r, wait * 1000));
    }
  }
}

/** The retry expression with the call's parameters and the globals substituted. */
function retryExpression(ctx: RunContext, call: TemplateCall, tmpl: Template, expression: string): string {
  const vars: Record<string, string> = {};
  for (const p of tmpl.inputs?.parameters ?? []) {
    const arg = call.arguments.parameters?.find((a) => a.name === p.name)?.value;
    const value = (arg === ABSENT_ARGUMENT ? undefined : arg) ?? p.value ?? p.default;
    if (value !== undefined && value !== null) vars[`inputs.parameters.${String(p.name)}`] = String(value);
  }
  return substituteString(expression, mapLookup(vars, ctx.globals));
}

/** `lastRetry.exitCode/status/duration/message` of the attempt that just ended, as Argo exposes them. */
function evaluateRetryExpression(expression: string, last: NodeStatus): boolean {
  const duration =
    last.startedAt && last.finishedAt ? String(Math.round((Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000)) : '0';
  const env = { lastRetry: { exitCode: last.outputs?.exitCode ?? '0', status: last.phase, duration, message: last.message ?? '' } };
  return Boolean(evaluateExpression(expression, env));
}

/** The call's own variables, known before its inputs are. */
function localVariables(ctx: RunContext, call: TemplateCall, retries: number | undefined): Record<string, string> {
  const vars: Record<string, string> = {
    'node.name': call.nodeName,
    'pod.name': podName(ctx.name, call.nodeName, call.templateName),
  };
  if (call.callerName) vars[`${call.callerName.kind}.name`] = call.callerName.name;
  if (retries !== undefined) vars.retries = String(retries);
  return vars;
}

/** Input values with globals and locals substituted, tags that do not resolve left as they are. */
function resolveInputValue(ctx: RunContext, locals: Record<string, string>, value: string): string {
  return substituteString(value, mapLookup(locals, ctx.globals), undefined, {
    final: false,
    env: () => nestVariables(Object.entries({ ...ctx.globals, ...locals })),
  });
}

function inputVariables(
  ctx: RunContext,
  call: TemplateCall,
  tmpl: Template,
  params: Array<{ name: string; value: string }>,
  retries: number | undefined,
): Record<string, string> {
  const vars: Record<string, string> = { ...localVariables(ctx, call, retries), 'inputs.parameters': JSON.stringify(params) };
  for (const p of params) vars[`inputs.parameters.${p.name}`] = p.value;
  for (const a of tmpl.inputs?.artifacts ?? []) if (a.path) vars[`inputs.artifacts.${String(a.name)}.path`] = String(a.path);
  for (const a of tmpl.outputs?.artifacts ?? []) if (a.path) vars[`outputs.artifacts.${String(a.name)}.path`] = String(a.path);
  for (const p of tmpl.outputs?.parameters ?? []) {
    const vf = p.valueFrom as Obj | undefined;
    if (vf?.path) vars[`outputs.parameters.${String(p.name)}.path`] = String(vf.path);
  }
  return vars;
}

async function executeOnce(ctx: RunContext, call: TemplateCall, retries: number | undefined): Promise<NodeStatus | undefined> {
  // A suspended workflow (spec.suspend) starts no new nodes until it is resumed (operator.go: ShouldSuspend).
  await ctx.held();
  if (ctx.stopped) return undefined;
  const raw = call.inline ?? ctx.templates.get(call.templateName)!;
  const params: Array<{ name: string; value: string }> = [];
  for (const p of raw.inputs?.parameters ?? []) {
    const name = String(p.name);
    const arg = call.arguments.parameters?.find((a) => a.name === name);
    // An argument naming an absent output counts as not supplied (common.ProcessArgs).
    const absent = arg?.value === ABSENT_ARGUMENT;
    const value = (absent ? undefined : arg?.value) ?? p.value ?? p.default;
    if (value === undefined || value === null) {
      const node = createNode(ctx, {
        name: call.nodeName,
        type: 'Skipped',
        templateName: call.templateName,
        boundaryId: call.boundaryId,
        phase: 'Error',
        message: absent
          ? `inputs.parameters.${name}: argument references an absent optional (skipped/omitted node output with no default)`
          : `inputs.parameters.${name} was not supplied`,
      });
      call.link(node.id);
      return node;
    }
    params.push({ name, value: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  // Argo substitutes globals and locals (expressions too) over the whole template before it reads the input values
  // (common.SubstituteParams), so `value: "{{=jsonpath(workflow.parameters.x, ...)}}"` arrives evaluated.
  const locals = localVariables(ctx, call, retries);
  for (const p of params) p.value = resolveInputValue(ctx, locals, p.value);
  const vars = inputVariables(ctx, call, raw, params, retries);
  const leaf =
    raw.container !== undefined ||
    raw.script !== undefined ||
    raw.containerSet !== undefined ||
    raw.suspend !== undefined ||
    raw.http !== undefined ||
    raw.data !== undefined;
  let tmpl: Template;
  try {
    tmpl = substituteObject(raw, mapLookup(vars, ctx.globals), undefined, {
      final: leaf,
      env: () => nestVariables(Object.entries({ ...ctx.globals, ...vars })),
    });
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
    return node;
  }
  const inputs: NodeStatus['inputs'] = {};
  if (params.length > 0) inputs.parameters = params;
  const inputArtifacts: InputArtifact[] = [];
  for (const a of tmpl.inputs?.artifacts ?? []) {
    const arg = call.arguments.artifacts?.find((x) => x.name === a.name);
    const ownKey = (a.s3 as Obj | undefined)?.key;
    const ownRaw = (a.raw as Obj | undefined)?.data;
    const source: ArtifactRef | undefined =
      arg?.source ??
      (typeof ownKey === 'string'
        ? { name: String(a.name), s3: { key: ownKey }, ...(a.archive ? { archive: a.archive as Obj } : {}) }
        : undefined);
    const rawData = arg?.raw ?? (typeof ownRaw === 'string' ? ownRaw : undefined);
    // The template's own http/git source, unless an argument supplies the artifact.
    // An argument's own http/git, or one handed on from a steps/dag template's input (`from`).
    const remote = arg ? (arg.remote ?? remoteOf(arg.source ?? {})) : remoteOf(a);
    inputArtifacts.push({
      name: String(a.name),
      path: String(a.path ?? path.posix.join('/tmp', String(a.name))),
      source,
      raw: rawData,
      ...(remote ? { remote } : {}),
      ...(a.mode !== undefined && !Number.isNaN(Number(a.mode)) ? { mode: Number(a.mode) } : {}),
      optional: a.optional === true,
    });
    if (remote) (inputs.artifacts ??= []).push({ name: String(a.name), path: a.path, ...remote });
    else if (source) (inputs.artifacts ??= []).push({ name: String(a.name), path: a.path, ...(source.s3 ? { s3: source.s3 } : {}) });
  }
  const memo = memoizeKey(ctx, tmpl);
  if (memo) {
    const cached = await ctx.memo.get(memo.id, memo.maxAge);
    if (cached) {
      const leafType = tmpl.steps
        ? 'Steps'
        : tmpl.dag
          ? 'DAG'
          : tmpl.suspend !== undefined
            ? 'Suspend'
            : tmpl.http !== undefined
              ? 'HTTP'
              : 'Pod';
      const node = createNode(ctx, {
        name: call.nodeName,
        type: leafType,
        templateName: call.templateName,
        boundaryId: call.boundaryId,
        phase: 'Succeeded',
      });
      if (inputs.parameters || inputs.artifacts) node.inputs = inputs;
      node.outputs = structuredClone(cached);
      (node as NodeStatus & Obj).memoizationStatus = { hit: true, key: memo.key, cacheName: memo.cacheName };
      if (node.type === 'Pod' || node.type === 'HTTP') node.progress = '1/1';
      call.link(node.id);
      return node;
    }
  }
  const node = await runBody(ctx, call, tmpl, inputs, inputArtifacts, vars);
  if (memo && node) {
    (node as NodeStatus & Obj).memoizationStatus = { hit: false, key: memo.key, cacheName: memo.cacheName };
    if (node.phase === 'Succeeded') await ctx.memo.set(memo.id, node.outputs ?? {});
    ctx.touch(node);
  }
  return node;
}

/** `memoize` of a substituted template: the cache entry id (`owner/ns/cache/key`, state/memo.ts), maxAge in seconds. */
function memoizeKey(ctx: RunContext, tmpl: Template): { id: string; key: string; cacheName: string; maxAge?: number } | undefined {
  const m = tmpl.memoize as Obj | undefined;
  if (!m) return undefined;
  const cacheName = String(((m.cache as Obj | undefined)?.configMap as Obj | undefined)?.name ?? '');
  const key = String(m.key ?? '');
  const owner = ctx.wf.metadata.labels?.[SUBMITTER_LABEL] ?? '';
  const id = [owner, ctx.wf.metadata.namespace ?? 'default', cacheName, key].map(encodeURIComponent).join('/');
  return { id, key, cacheName, maxAge: durationSeconds(m.maxAge) };
}

/** A containerSet template as pod.ts runs it: its main container as `container`, with the set's volume mounts. */
function withMainContainer(tmpl: Template): Template {
  const set = tmpl.containerSet as Obj | undefined;
  if (!set) return tmpl;
  const main = mainContainerOf(set);
  const mounts = [...((main.volumeMounts as Obj[] | undefined) ?? []), ...((set.volumeMounts as Obj[] | undefined) ?? [])];
  return { ...tmpl, container: { ...main, volumeMounts: mounts } };
}

async function runBody(
  ctx: RunContext,
  call: TemplateCall,
  tmpl: Template,
  inputs: NonNullable<NodeStatus['inputs']>,
  inputArtifacts: InputArtifact[],
  vars: Record<string, string>,
): Promise<NodeStatus | undefined> {
  if (tmpl.suspend !== undefined) {
    return runSuspend(
      ctx,
      { nodeName: call.nodeName, templateName: call.templateName, boundaryId: call.boundaryId, inputs, link: call.link },
      tmpl,
    );
  }
  if (tmpl.data !== undefined) {
    return runData(
      ctx,
      { nodeName: call.nodeName, templateName: call.templateName, boundaryId: call.boundaryId, inputs, link: call.link },
      tmpl,
    );
  }
  if (tmpl.http !== undefined) {
    return runHttp(
      ctx,
      { nodeName: call.nodeName, templateName: call.templateName, boundaryId: call.boundaryId, inputs, link: call.link },
      tmpl,
    );
  }
  if (tmpl.container || tmpl.script || tmpl.containerSet) {
    const pending = unschedulable(ctx, tmpl);
    if (pending !== undefined)
      return runUnschedulable(
        ctx,
        { nodeName: call.nodeName, templateName: call.templateName, boundaryId: call.boundaryId, inputs, link: call.link },
        pending,
      );
    return runPod(ctx, {
      nodeName: call.nodeName,
      templateName: call.templateName,
      boundaryId: call.boundaryId,
      tmpl: withMainContainer(tmpl),
      inputs,
      inputArtifacts,
      captureResult: call.captureResult,
      link: call.link,
    });
  }
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
