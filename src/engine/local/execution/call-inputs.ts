/** A template call's inputs: parameter values, the call's variables, input artifacts (SEMANTICS §2, §12). */
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import { createNode, type ArtifactRef, type Obj, type RunContext, type Template } from './context.ts';
import { podName } from '../state/names.ts';
import type { InputArtifact } from '../pods/pod.ts';
import { ABSENT_ARGUMENT } from './scope.ts';
import type { RemoteSource } from './remote-artifacts.ts';
import { nestVariables } from '../expressions/expr.ts';
import { mapLookup, substituteString } from '../expressions/substitute.ts';
import type { TemplateCall } from './template.ts';

type Params = Array<{ name: string; value: string }>;

/** An artifact's own `http` or `git` source. */
export function remoteOf(a: Obj): RemoteSource | undefined {
  if (a.http) return { http: a.http as Obj };
  if (a.git) return { git: a.git as Obj };
  return undefined;
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

/**
 * The input parameters' values: the argument, else the template's value or default. Argo substitutes globals and
 * locals (expressions too) over the whole template before it reads them (common.SubstituteParams), so
 * `value: "{{=jsonpath(workflow.parameters.x, ...)}}"` arrives evaluated. A missing one gives the Skipped Error
 * node Argo makes.
 */
export function resolveParams(ctx: RunContext, call: TemplateCall, raw: Template, retries: number | undefined): Params | NodeStatus {
  const params: Params = [];
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
  const locals = localVariables(ctx, call, retries);
  for (const p of params)
    p.value = substituteString(p.value, mapLookup(locals, ctx.globals), undefined, {
      final: false,
      env: () => nestVariables(Object.entries({ ...ctx.globals, ...locals })),
    });
  return params;
}

/** The variables a template body sees: the call's locals, its inputs and its declared output paths. */
export function inputVariables(
  ctx: RunContext,
  call: TemplateCall,
  tmpl: Template,
  params: Params,
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

/** The substituted template's input artifacts, each from its argument or its own source; `inputs` lists them. */
export function resolveInputArtifacts(call: TemplateCall, tmpl: Template, inputs: NonNullable<NodeStatus['inputs']>): InputArtifact[] {
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
    // The template's own http/git source, unless an argument supplies the artifact: the argument's own http/git,
    // or one handed on from a steps/dag template's input (`from`).
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
  return inputArtifacts;
}
