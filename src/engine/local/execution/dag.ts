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

type Link = (id: string) => void;

/** One running DAG: its tasks, their depends, and the promise of each task's node. */
class DagRun {
  readonly scope: Scope;
  readonly failFast: FailFast;
  private readonly text: string;
  private readonly slots: Semaphore;
  readonly tasks: Map<string, Obj>;
  private readonly exprs: Map<string, DependsExpr | undefined>;
  readonly deps: Map<string, string[]>;
  readonly results = new Map<string, Promise<NodeStatus | undefined>>();

  constructor(
    private readonly ctx: RunContext,
    private readonly node: NodeStatus,
    tmpl: Template,
    inputArtifacts?: Map<string, ArtifactRef>,
    baseVars?: Record<string, string>,
  ) {
    this.scope = new Scope('tasks', inputArtifacts, baseVars);
    this.failFast = new FailFast(tmpl);
    this.text = JSON.stringify(tmpl);
    this.slots = new Semaphore(Number(tmpl.parallelism ?? 0) || undefined);
    this.tasks = new Map(tmpl.dag!.tasks.map((t) => [String(t.name), t]));
    this.exprs = new Map([...this.tasks].map(([name, t]) => [name, dependsOf(t)]));
    this.deps = new Map([...this.exprs].map(([name, e]) => [name, e ? [...dependsTasks(e)] : []]));
  }

  /** The target tasks: `dag.target`, else every task nothing depends on. */
  targets(target: unknown): string[] {
    const dependedOn = new Set([...this.deps.values()].flat());
    return target ? String(target).split(/\s+/).filter(Boolean) : [...this.tasks.keys()].filter((n) => !dependedOn.has(n)).sort();
  }

  run(name: string): Promise<NodeStatus | undefined> {
    let p = this.results.get(name);
    if (!p) {
      p = this.start(name);
      this.results.set(name, p);
    }
    return p;
  }

  /** Whether the task's depends holds over its dependencies' nodes. */
  private holds(name: string, byName: Map<string, NodeStatus>): boolean {
    const expr = this.exprs.get(name);
    return (
      !expr ||
      evaluateDepends(expr, (t, prop) => {
        const dn = byName.get(t)!;
        const kids = (dn.children ?? []).map((c) => this.ctx.nodes[c]!).filter(Boolean);
        if (prop === 'AnySucceeded') return dn.type === 'TaskGroup' && kids.some((k) => k.phase === 'Succeeded');
        if (prop === 'AllFailed') return dn.type === 'TaskGroup' && kids.length > 0 && kids.every((k) => k.phase === 'Failed');
        return satisfies(this.tasks.get(t)!, dn, prop);
      })
    );
  }

  /** A node that runs nothing: Omitted (depends not met), Skipped (empty loop) or Error (a call that cannot expand). */
  private placeholder(task: Obj, link: Link, phase: NodePhase, message: string): NodeStatus {
    const skipped = createNode(this.ctx, {
      name: `${this.node.name}.${String(task.name)}`,
      type: 'Skipped',
      templateName: task.template as string | undefined,
      boundaryId: this.node.id,
      phase,
      message,
    });
    link(skipped.id);
    return skipped;
  }

  private async start(name: string): Promise<NodeStatus | undefined> {
    const { ctx, node } = this;
    const task = this.tasks.get(name)!;
    const depNames = this.deps.get(name)!;
    const depNodes = await Promise.all(depNames.map((d) => this.run(d)));
    if (ctx.stopped || depNodes.some((d) => d === undefined)) return undefined;
    const link: Link = (id) => {
      if (depNames.length === 0) addChild(ctx, node.id, id);
      else for (const d of depNodes) for (const o of outboundNodes(ctx, d!.id)) addChild(ctx, o, id);
    };
    if (!this.holds(name, new Map(depNames.map((d, i) => [d, depNodes[i]!])))) {
      const omitted = this.placeholder(task, link, 'Omitted', 'omitted: depends condition not met');
      this.scope.recordNode(name, omitted, calledTemplate(ctx, task));
      return omitted;
    }
    try {
      return await this.call(name, task, link);
    } catch (err) {
      if (!isCallError(err)) throw err;
      const errored = this.placeholder(task, link, 'Error', err.message);
      this.scope.recordNode(name, errored);
      return errored;
    }
  }

  /** The task's call: one node, or a TaskGroup of its loop's items. */
  private async call(name: string, task: Obj, link: Link): Promise<NodeStatus | undefined> {
    const { ctx, node, scope, slots, failFast } = this;
    const base = `${node.name}.${name}`;
    const opts = { boundaryId: node.id, kind: 'tasks' as const, captureResult: referencesResult(this.text, 'tasks', name) };
    const exp = expandCall(task, scope);
    if (exp.kind === 'single') {
      const child = await slots.run(() =>
        failFast.guard(task, () => runCall(ctx, exp.call, scope, { ...opts, nodeName: base, displayName: name, link })),
      );
      if (child) scope.recordNode(name, child, calledTemplate(ctx, task));
      return child;
    }
    if (exp.items.length === 0) {
      const skipped = this.placeholder(task, link, 'Skipped', 'Skipped, empty params');
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
  }

  /** The DAG's phase: the first target whose branch failed (and is not excused by continueOn), else Succeeded. */
  async phase(targets: string[]): Promise<NodePhase> {
    const settled = new Map<string, NodeStatus | undefined>();
    for (const [name, p] of this.results) settled.set(name, await p);
    const branch = new Map<string, NodePhase>();
    const branchPhase = (name: string): NodePhase => {
      const known = branch.get(name);
      if (known) return known;
      let phase: NodePhase = 'Succeeded';
      const own = settled.get(name);
      if (own && (own.phase === 'Succeeded' || own.phase === 'Failed' || own.phase === 'Error')) phase = own.phase;
      else if (!own) phase = 'Failed';
      else
        phase =
          this.deps
            .get(name)!
            .map(branchPhase)
            .find((p) => p === 'Failed' || p === 'Error') ?? 'Succeeded';
      branch.set(name, phase);
      return phase;
    };
    for (const t of targets) {
      const b = branchPhase(t);
      if ((b === 'Failed' || b === 'Error') && !continues(this.tasks.get(t)!, b)) return b;
    }
    return 'Succeeded';
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
  const dag = new DagRun(ctx, node, tmpl, inputArtifacts, baseVars);
  const targets = dag.targets(tmpl.dag!.target);
  const targetNodes = await Promise.all(targets.map((t) => dag.run(t)));
  await Promise.all([...dag.results.values()]);
  const phase = await dag.phase(targets);
  node.outboundNodes = targetNodes.filter((n): n is NodeStatus => n !== undefined).flatMap((n) => outboundNodes(ctx, n.id));
  if (dag.failFast.tripped) setPhase(ctx, node, 'Failed', FAIL_FAST_MESSAGE);
  else if (phase === 'Succeeded') setPhase(ctx, node, 'Succeeded');
  else setPhase(ctx, node, phase, ctx.stopped && targetNodes.some((n) => !n) ? ctx.stopped.nodeMessage : undefined);
  return dag.scope;
}
