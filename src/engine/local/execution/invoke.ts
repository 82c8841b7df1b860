/**
 * What steps and DAG tasks share: resolving a call's references and loop items, its `when`, and running it
 * (SEMANTICS §2, §3, §5).
 */
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import { createNode, type ArtifactRef, type Obj, type RunContext, type Template } from './context.ts';
import { ExpressionError, LoopExpansionError, UnresolvedVariableError, WhenExpressionError } from '../errors.ts';
import { itemsFromList, itemsFromParam, itemsFromSequence, itemVariables, loopChildSuffix, type LoopItem } from './loops.ts';
import { ABSENT_ARGUMENT, type Scope } from './scope.ts';
import { mapLookup, substituteObject, tagsIn } from '../expressions/substitute.ts';
import { executeTemplate, remoteOf, type CallArguments } from './template.ts';
import { evaluateWhen } from '../expressions/when.ts';
import { exitHookOf, expressionHooks, runExpressionHooks, runHook, selfVariables } from './hooks.ts';

/** A step or task after reference resolution: one call, or one per loop item. */
type Expansion = { kind: 'single'; call: Obj } | { kind: 'loop'; items: Array<{ suffix: string; call: Obj }> };

/** Resolves `steps.*`/`tasks.*` references, then expands loop items (each strictly substituted). */
export function expandCall(call: Obj, scope: Scope): Expansion {
  // Hooks are resolved when they run: they may read the step's own outputs (steps.go nils them out here).
  const { arguments: args, hooks, onExit, ...rest } = call as Obj & { arguments?: Obj };
  const keep = (o: Obj): Obj => ({ ...o, ...(hooks !== undefined ? { hooks } : {}), ...(onExit !== undefined ? { onExit } : {}) });
  const refStrict = (tag: string) => tag.startsWith(`${scope.prefix}.`);
  const looped = rest.withItems !== undefined || rest.withParam !== undefined || rest.withSequence !== undefined;
  // An argument that is exactly `{{ref}}` to an absent output is marked before substitution (where the
  // absent value would be an error), so the called template's input default can apply.
  const parameters = ((args?.parameters as Obj[] | undefined) ?? []).map((p) =>
    typeof p.value === 'string' && scope.isAbsentReference(p.value) ? { ...p, value: ABSENT_ARGUMENT } : p,
  );
  const resolved = substituteObject({ ...rest, arguments: { parameters } }, scope.lookup, refStrict, scope.expressions(!looped)) as Obj;
  resolved.arguments = { ...(resolved.arguments as Obj), artifacts: (args?.artifacts as unknown) ?? [] };
  let items: LoopItem[] | undefined;
  if (Array.isArray(resolved.withItems) && resolved.withItems.length > 0) items = itemsFromList(resolved.withItems);
  else if (resolved.withParam !== undefined) items = itemsFromParam(String(resolved.withParam));
  else if (resolved.withSequence !== undefined) items = itemsFromSequence(resolved.withSequence as Obj);
  if (!items) return { kind: 'single', call: keep(resolved) };
  const isItemTag = (tag: string) => tag === 'item' || tag.startsWith('item.');
  return {
    kind: 'loop',
    items: items.map((item) => {
      const { withItems: _a, withParam: _b, withSequence: _c, ...body } = resolved;
      const vars = itemVariables(item.value);
      return {
        suffix: loopChildSuffix(item),
        call: keep(substituteObject(body, mapLookup(vars), isItemTag, scope.expressions(true, vars))),
      };
    }),
  };
}

/** The template a step or task calls (its inline template, or the named one). */
export function calledTemplate(ctx: RunContext, call: Obj): Template | undefined {
  return (call.inline as Template | undefined) ?? ctx.templates.get(String(call.template));
}

/** Step/task arguments in the form templates take; artifact `from` looked up in the scope. */
export function callArguments(call: Obj, scope: Pick<Scope, 'artifacts'>, globals?: Map<string, ArtifactRef>): CallArguments {
  const args = (call.arguments ?? {}) as Obj;
  const parameters = ((args.parameters as Obj[] | undefined) ?? []).map((p) => ({
    name: String(p.name),
    value: p.value === undefined ? undefined : typeof p.value === 'string' ? p.value : JSON.stringify(p.value),
  }));
  const artifacts: NonNullable<CallArguments['artifacts']> = [];
  for (const a of (args.artifacts as Obj[] | undefined) ?? []) {
    const name = String(a.name);
    if (typeof a.from === 'string') {
      const tag = tagsIn(a.from)[0] ?? a.from;
      const ref = scope.artifacts.get(tag) ?? globals?.get(tag);
      if (!ref) {
        if (a.optional === true) continue;
        throw new UnresolvedVariableError(tag);
      }
      artifacts.push({ name, source: typeof a.subPath === 'string' ? withSubPath(ref, a.subPath, name) : ref });
    } else if (typeof (a.s3 as Obj | undefined)?.key === 'string') {
      artifacts.push({ name, source: { name, s3: { key: String((a.s3 as Obj).key) } } as ArtifactRef });
    } else if (typeof (a.raw as Obj | undefined)?.data === 'string') {
      artifacts.push({ name, raw: String((a.raw as Obj).data) });
    } else if (a.http || a.git) {
      artifacts.push({ name, remote: remoteOf(a) });
    }
  }
  return { parameters, artifacts };
}

/**
 * An argument artifact's `subPath`: the file or folder at that path inside the `from` artifact
 * (steps.go/dag.go resolveReferences: Artifact.AppendToKey joins it to the stored key). Only stored (s3) artifacts
 * have a key; inside an archived (tgz) artifact the joined key names nothing, so loading it fails as in Argo.
 */
function withSubPath(ref: ArtifactRef, subPath: string, name: string): ArtifactRef {
  if (!ref.s3?.key) throw new LoopExpansionError(`artifact '${name}': subPath needs an artifact kept in the artifact repository`);
  return { ...ref, s3: { key: path.posix.join(ref.s3.key, subPath) } };
}

/** Whether a processing error (bad when, withParam, unresolved reference) is one a step reports on its node. */
export function isCallError(err: unknown): err is Error {
  return (
    err instanceof WhenExpressionError ||
    err instanceof LoopExpansionError ||
    err instanceof UnresolvedVariableError ||
    err instanceof ExpressionError
  );
}

interface RunCallOptions {
  nodeName: string;
  boundaryId: string;
  kind: 'steps' | 'tasks';
  displayName: string;
  captureResult: boolean;
  link(id: string): void;
}

/** The step's or task's own exit hook as `<node>.onExit`, child of the node, reading its outputs. */
async function runExitHook(
  ctx: RunContext,
  call: Obj,
  node: NodeStatus,
  scope: Scope,
  o: RunCallOptions,
  vars: Record<string, string>,
): Promise<void> {
  const exit = exitHookOf(call);
  if (!exit) return;
  const artifacts = new Map(scope.artifacts);
  for (const a of node.outputs?.artifacts ?? []) artifacts.set(`${o.kind}.${o.displayName}.outputs.artifacts.${a.name}`, a as ArtifactRef);
  await runHook(ctx, exit, `${node.name}.onExit`, {
    boundaryId: o.boundaryId,
    parentId: node.id,
    lookup: (tag) => vars[tag] ?? scope.lookup(tag),
    artifacts,
  });
}

/** The Skipped node of a call whose `when` is false, or undefined. */
function skippedByWhen(ctx: RunContext, call: Obj, templateName: string, o: RunCallOptions): NodeStatus | undefined {
  if (call.when === undefined || call.when === '') return undefined;
  const expr = String(call.when);
  if (evaluateWhen(expr)) return undefined;
  const node = createNode(ctx, {
    name: o.nodeName,
    type: 'Skipped',
    templateName,
    boundaryId: o.boundaryId,
    phase: 'Skipped',
    message: `when '${expr}' evaluated false`,
  });
  o.link(node.id);
  return node;
}

/** Evaluates `when`, then runs the call's template; a false `when` gives a Skipped node. */
export async function runCall(ctx: RunContext, call: Obj, scope: Scope, o: RunCallOptions): Promise<NodeStatus | undefined> {
  if (ctx.stopped) return undefined;
  const inline = call.inline as Template | undefined;
  const templateName = inline ? '' : String(call.template);
  try {
    const skipped = skippedByWhen(ctx, call, templateName, o);
    if (skipped) return skipped;
    const args = callArguments(call, scope, ctx.globalArtifacts);
    const hooksRun = new Set<string>();
    const hookVars = (n: NodeStatus) => {
      const vars: Record<string, string> = { ...scope.baseVars, ...selfVariables(o.kind, o.displayName, n) };
      for (const [k, v] of scope.vars) vars[k] = v;
      return vars;
    };
    const starting: Array<Promise<void>> = [];
    const node = await executeTemplate(ctx, {
      nodeName: o.nodeName,
      templateName,
      inline,
      boundaryId: o.boundaryId,
      arguments: args,
      callerName: { kind: o.kind, name: o.displayName },
      captureResult: o.captureResult,
      link: (id) => {
        o.link(id);
        const created = ctx.nodes[id];
        if (created && expressionHooks(call).length > 0)
          starting.push(runExpressionHooks(ctx, call, created, hookVars({ ...created, phase: 'Running' }), hooksRun, o.boundaryId));
      },
    });
    if (!node) return node;
    await Promise.all(starting);
    if (expressionHooks(call).length > 0) await runExpressionHooks(ctx, call, node, hookVars(node), hooksRun, o.boundaryId);
    await runExitHook(ctx, call, node, scope, o, hookVars(node));
    return node;
  } catch (err) {
    if (!isCallError(err)) throw err;
    const node = createNode(ctx, {
      name: o.nodeName,
      type: 'Skipped',
      templateName,
      boundaryId: o.boundaryId,
      phase: 'Error',
      message: err.message,
    });
    o.link(node.id);
    return node;
  }
}

/** Whether the template text references NAME's `outputs.result` (Argo only captures stdout then). */
export function referencesResult(templateText: string, kind: 'steps' | 'tasks', name: string): boolean {
  return templateText.includes(`${kind}.${name}.outputs.result`) || templateText.includes(`['${name}'].outputs.result`);
}
