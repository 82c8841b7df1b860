/** DAG templates: tasks run when their `depends` holds; phase from the targets' branches (SEMANTICS §6). */
import type { NodePhase, NodeStatus } from '../../types.ts';
import {
  addChild,
  createNode,
  outboundNodes,
  setPhase,
  stopState,
  type ArtifactRef,
  type Obj,
  type RunContext,
  type Template,
} from './context.ts';
import { dependsTasks, evaluateDepends, parseDepends, type DependsExpr } from '../expressions/depends.ts';
import { calledTemplate, expandCall, isCallError, referencesResult, runCall } from './invoke.ts';
import { Scope } from './scope.ts';
import { Semaphore } from './semaphore.ts';
import { continues, FAIL_FAST_MESSAGE, FailFast } from './steps.ts';

function dependsOf(task: Obj): DependsExpr | undefined {
  if (typeof task.depends === 'string' && task.depends.trim()) return parseDepends(task.depends);
  const deps = ((task.dependencies as unknown[] | undefined) ?? []).map(String);
  if (deps.length === 0) return undefined;
  return deps.map((d): DependsExpr => ({ kind: 'ref', task: d })).reduce((left, right) => ({ kind: 'and', left, right }));
}

/** A daemon that is running and ready (NodeStatus.IsDaemoned, not Pending). */
const daemoned = (node: NodeStatus) => node.daemoned === true && node.phase !== 'Pending';

/** One `task.Property` test; AnySucceeded / AllFailed need the group's children and are answered by the caller. */
function satisfies(task: Obj, node: NodeStatus, property: string | undefined): boolean {
  const phase = node.phase;
  switch (property) {
    case undefined:
      return phase === 'Succeeded' || phase === 'Skipped' || daemoned(node) || continues(task, phase);
    case 'Daemoned':
      return daemoned(node);
    case 'Succeeded':
      return phase === 'Succeeded';
    case 'Failed':
      return phase === 'Failed';
    case 'Errored':
      return phase === 'Error';
    case 'Skipped':
      return phase === 'Skipped';
    case 'Omitted':
      return phase === 'Omitted';
    default:
      return false;
  }
}

/** Runs the tasks of a DAG template under `node`; sets its phase and outbound nodes; returns its scope. */
export async function runDag(
  ctx: RunContext,
  node: NodeStatus,
  tmpl: Template,
  inputArtifacts?: Map<string, ArtifactRef>,
  baseVars?: Record<string, string>,
): Promise<Scope> {
  const dag = tmpl.dag!;
  const scope = new Scope('tasks', inputArtifacts, baseVars);
  const failFast = new FailFast(tmpl);
  const text = JSON.stringify(tmpl);
  const slots = new Semaphore(Number(tmpl.parallelism ?? 0) || undefined);
  const tasks = new Map(dag.tasks.map((t) => [String(t.name), t]));
  const exprs = new Map([...tasks].map(([name, t]) => [name, dependsOf(t)]));
  const deps = new Map([...exprs].map(([name, e]) => [name, e ? [...dependsTasks(e)] : []]));
  const dependedOn = new Set([...deps.values()].flat());
  const targets = dag.target ? String(dag.target).split(/\s+/).filter(Boolean) : [...tasks.keys()].filter((n) => !dependedOn.has(n)).sort();
  const results = new Map<string, Promise<NodeStatus | undefined>>();

  const runTask = (name: string): Promise<NodeStatus | undefined> => {
    let p = results.get(name);
    if (!p) {
      p = startTask(name);
      results.set(name, p);
    }
    return p;
  };

  const startTask = async (name: string): Promise<NodeStatus | undefined> => {
    const task = tasks.get(name)!;
    const depNames = deps.get(name)!;
    const depNodes = await Promise.all(depNames.map(runTask));
    if (ctx.stopped || depNodes.some((d) => d === undefined)) return undefined;
    const byName = new Map(depNames.map((d, i) => [d, depNodes[i]!]));
    const link = (id: string) => {
      if (depNames.length === 0) addChild(ctx, node.id, id);
      else for (const d of depNodes) for (const o of outboundNodes(ctx, d!.id)) addChild(ctx, o, id);
    };
    const base = `${node.name}.${name}`;
    const expr = exprs.get(name);
    const holds =
      !expr ||
      evaluateDepends(expr, (t, prop) => {
        const dn = byName.get(t)!;
        const kids = (dn.children ?? []).map((c) => ctx.nodes[c]!).filter(Boolean);
        if (prop === 'AnySucceeded') return dn.type === 'TaskGroup' && kids.some((k) => k.phase === 'Succeeded');
        if (prop === 'AllFailed') return dn.type === 'TaskGroup' && kids.length > 0 && kids.every((k) => k.phase === 'Failed');
        return satisfies(tasks.get(t)!, dn, prop);
      });
    if (!holds) {
      const omitted = createNode(ctx, {
        name: base,
        type: 'Skipped',
        templateName: task.template as string | undefined,
        boundaryId: node.id,
        phase: 'Omitted',
        message: 'omitted: depends condition not met',
      });
      link(omitted.id);
      scope.recordNode(name, omitted, calledTemplate(ctx, task));
      return omitted;
    }
    const opts = { boundaryId: node.id, kind: 'tasks' as const, captureResult: referencesResult(text, 'tasks', name) };
    try {
      const exp = expandCall(task, scope);
      if (exp.kind === 'single') {
        const child = await slots.run(() =>
          failFast.guard(task, () => runCall(ctx, exp.call, scope, { ...opts, nodeName: base, displayName: name, link })),
        );
        if (child) scope.recordNode(name, child, calledTemplate(ctx, task));
        return child;
      }
      if (exp.items.length === 0) {
        const skipped = createNode(ctx, {
          name: base,
          type: 'Skipped',
          templateName: task.template as string | undefined,
          boundaryId: node.id,
          phase: 'Skipped',
          message: 'Skipped, empty params',
        });
        link(skipped.id);
        scope.recordLoop(name, skipped, []);
        return skipped;
      }
      const group = createNode(ctx, {
        name: base,
        type: 'TaskGroup',
        templateName: task.template as string | undefined,
        boundaryId: node.id,
        phase: 'Running',
      });
      link(group.id);
      const children = await Promise.all(
        exp.items.map((item) =>
          slots.run(() =>
            failFast.guard(task, () =>
              runCall(ctx, item.call, scope, {
                ...opts,
                nodeName: `${base}${item.suffix}`,
                displayName: `${name}${item.suffix}`,
                link: (id) => addChild(ctx, group.id, id),
              }),
            ),
          ),
        ),
      );
      const created = children.filter((c): c is NodeStatus => c !== undefined);
      const bad = created.find((c) => c.phase === 'Failed' || c.phase === 'Error');
      if (bad) setPhase(ctx, group, bad.phase);
      else if (created.length < children.length) setPhase(ctx, group, 'Failed', stopState(ctx)?.nodeMessage);
      else setPhase(ctx, group, 'Succeeded');
      scope.recordLoop(name, group, created);
      return group;
    } catch (err) {
      if (!isCallError(err)) throw err;
      const errored = createNode(ctx, {
        name: base,
        type: 'Skipped',
        templateName: task.template as string | undefined,
        boundaryId: node.id,
        phase: 'Error',
        message: err.message,
      });
      link(errored.id);
      scope.recordNode(name, errored);
      return errored;
    }
  };

  const targetNodes = await Promise.all(targets.map(runTask));
  await Promise.all([...results.values()]);
  const branch = new Map<string, NodePhase>();
  const branchPhase = (name: string): NodePhase => {
    const known = branch.get(name);
    if (known) return known;
    let phase: NodePhase = 'Succeeded';
    const own = nodeOf(name);
    if (own && (own.phase === 'Succeeded' || own.phase === 'Failed' || own.phase === 'Error')) phase = own.phase;
    else if (!own) phase = 'Failed';
    else {
      for (const d of deps.get(name)!) {
        const p = branchPhase(d);
        if (p === 'Failed' || p === 'Error') {
          phase = p;
          break;
        }
      }
    }
    branch.set(name, phase);
    return phase;
  };
  const settled = new Map<string, NodeStatus | undefined>();
  for (const [name, p] of results) settled.set(name, await p);
  const nodeOf = (name: string) => settled.get(name);
  let phase: NodePhase = 'Succeeded';
  for (const t of targets) {
    const b = branchPhase(t);
    if ((b === 'Failed' || b === 'Error') && !continues(tasks.get(t)!, b)) {
      phase = b;
      break;
    }
  }
  node.outboundNodes = targetNodes.filter((n): n is NodeStatus => n !== undefined).flatMap((n) => outboundNodes(ctx, n.id));
  if (failFast.tripped) setPhase(ctx, node, 'Failed', FAIL_FAST_MESSAGE);
  else if (phase === 'Succeeded') setPhase(ctx, node, 'Succeeded');
  else setPhase(ctx, node, phase, ctx.stopped && targetNodes.some((n) => !n) ? ctx.stopped.nodeMessage : undefined);
  return scope;
}
