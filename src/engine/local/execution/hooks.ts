/**
 * Exit handlers and lifecycle hooks (workflow/controller/exit_handler.go, hooks.go, operator.go).
 * - `spec.onExit` / `spec.hooks.exit`: node `<wf>.onExit` after the root node completes, with `workflow.status`
 *   and `workflow.failures` set; a failed handler fails a workflow that had succeeded.
 * - step/task `onExit` / `hooks.exit`: node `<step node>.onExit`, a child of the step's node in the same boundary;
 *   its arguments may read the step's own outputs (`steps.NAME.outputs.parameters.P`). The step group waits for it.
 * - other hooks: `expression` evaluated (expr-lang) when the node starts and when it ends; the first time it is
 *   true the hook runs as `<node>.hooks.<hookName>` (child of the node; workflow-level: of the root).
 */
import type { NodeStatus } from '../../types.ts';
import { addChild, type ArtifactRef, type Obj, type RunContext } from './context.ts';
import { evaluateExpression, nestVariables } from '../expressions/expr.ts';
import { callArguments, isCallError } from './invoke.ts';
import { podName } from '../state/names.ts';
import { mapLookup, substituteObject, type Lookup } from '../expressions/substitute.ts';
import { executeTemplate } from './template.ts';

/** The exit hook of a workflow spec, step or task: `onExit` (a template name) or `hooks.exit`. */
export function exitHookOf(holder: Obj): Obj | undefined {
  if (typeof holder.onExit === 'string' && holder.onExit) return { template: holder.onExit };
  const exit = (holder.hooks as Obj | undefined)?.exit;
  return exit && typeof exit === 'object' ? (exit as Obj) : undefined;
}

/** Named hooks other than `exit`. */
export function expressionHooks(holder: Obj): Array<[string, Obj]> {
  return Object.entries((holder.hooks as Obj | undefined) ?? {}).filter(
    (e): e is [string, Obj] => e[0] !== 'exit' && e[1] !== null && typeof e[1] === 'object',
  );
}

/** Runs one hook's template as node `nodeName`; arguments substituted with `lookup`. */
export async function runHook(
  ctx: RunContext,
  hook: Obj,
  nodeName: string,
  o: { boundaryId?: string; parentId?: string; lookup: Lookup; artifacts?: Map<string, ArtifactRef> },
): Promise<NodeStatus | undefined> {
  let args;
  try {
    const call = substituteObject({ arguments: hook.arguments ?? {} }, o.lookup) as Obj;
    args = callArguments(call, { artifacts: o.artifacts ?? new Map() });
  } catch (err) {
    if (!isCallError(err)) throw err;
    args = { parameters: [], artifacts: [] };
  }
  return executeTemplate(ctx, {
    nodeName,
    templateName: String(hook.template),
    boundaryId: o.boundaryId,
    arguments: args,
    captureResult: false,
    link: (id) => {
      if (o.parentId) addChild(ctx, o.parentId, id);
    },
  });
}

/** Whether a hook's expression holds over `vars` (an invalid or non-boolean expression does not run it). */
export function hookHolds(expression: unknown, vars: Record<string, string>): boolean {
  if (typeof expression !== 'string' || !expression) return false;
  try {
    return evaluateExpression(expression, nestVariables(Object.entries(vars))) === true;
  } catch {
    return false;
  }
}

/** `workflow.failures`: Argo's JSON list of the Failed/Error nodes (operator.go:failedNodeStatus). */
export function workflowFailures(ctx: RunContext): string {
  const failures = Object.values(ctx.nodes)
    .filter((n) => n.phase === 'Failed' || n.phase === 'Error')
    .map((n) => ({
      displayName: n.displayName,
      message: n.message ?? '',
      templateName: n.templateName ?? '',
      phase: n.phase,
      podName: podName(ctx.name, n.name, n.templateName ?? ''),
      finishedAt: n.finishedAt ?? null,
    }));
  return JSON.stringify(failures);
}

/** The variables a step's or task's own hooks read about it: status, exit code, outputs. */
export function selfVariables(prefix: 'steps' | 'tasks', name: string, node: NodeStatus): Record<string, string> {
  const at = `${prefix}.${name}`;
  const vars: Record<string, string> = { [`${at}.status`]: node.phase, [`${at}.id`]: node.id };
  if (node.outputs?.exitCode !== undefined) vars[`${at}.exitCode`] = String(node.outputs.exitCode);
  if (node.outputs?.result !== undefined) vars[`${at}.outputs.result`] = String(node.outputs.result);
  for (const p of node.outputs?.parameters ?? []) if (p.value !== undefined) vars[`${at}.outputs.parameters.${p.name}`] = String(p.value);
  return vars;
}

/** Runs a step's/task's expression hooks whose expression holds now; `started` keeps those already run. */
export async function runExpressionHooks(
  ctx: RunContext,
  holder: Obj,
  node: NodeStatus,
  vars: Record<string, string>,
  started: Set<string>,
  boundaryId?: string,
): Promise<void> {
  const runs: Array<Promise<unknown>> = [];
  for (const [hookName, hook] of expressionHooks(holder)) {
    if (started.has(hookName) || !hookHolds(hook.expression, vars)) continue;
    started.add(hookName);
    runs.push(runHook(ctx, hook, `${node.name}.hooks.${hookName}`, { boundaryId, parentId: node.id, lookup: mapLookup(vars) }));
  }
  await Promise.all(runs);
}
