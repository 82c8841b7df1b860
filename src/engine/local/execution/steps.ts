/** Steps templates: sequential groups of parallel steps (SEMANTICS §7). */
import type { NodeStatus } from '../../types.ts';
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
import { calledTemplate, expandCall, isCallError, referencesResult, runCall } from './invoke.ts';
import { Scope } from './scope.ts';
import { Semaphore } from './semaphore.ts';

/** Whether a failed child is excused by its step's `continueOn`. */
export function continues(step: Obj, phase: NodeStatus['phase']): boolean {
  const c = (step.continueOn ?? {}) as Obj;
  return (phase === 'Failed' && c.failed === true) || (phase === 'Error' && c.error === true);
}

export const FAIL_FAST_MESSAGE = 'template has failed or errored children and failFast enabled';

/** Template `failFast`: after a child fails, no new children start (Argo's checkParallelism). */
export class FailFast {
  tripped = false;
  private readonly enabled: boolean;

  constructor(tmpl: Template) {
    this.enabled = tmpl.failFast === true;
  }

  /** Runs `fn` unless tripped (then nothing is created); trips on a Failed/Error result. */
  async guard(_call: Obj, fn: () => Promise<NodeStatus | undefined>): Promise<NodeStatus | undefined> {
    if (this.enabled && this.tripped) return undefined;
    const node = await fn();
    if (this.enabled && node && (node.phase === 'Failed' || node.phase === 'Error')) this.tripped = true;
    return node;
  }
}

interface GroupRun {
  ctx: RunContext;
  node: NodeStatus;
  group: NodeStatus;
  scope: Scope;
  slots: Semaphore;
  failFast: FailFast;
  /** The template as JSON: whether a step's result is read anywhere. */
  text: string;
}

interface StepOutcome {
  step: Obj;
  children: NodeStatus[];
  /** A loop or call that could not be expanded: the group's Error message. */
  error?: string;
}

/** One step of a group: a single call, a loop's items, or the Skipped node of an empty loop. */
async function runStep(g: GroupRun, step: Obj): Promise<StepOutcome> {
  const { ctx, node, group, scope, slots, failFast } = g;
  const name = String(step.name);
  const base = `${group.name}.${name}`;
  const link = (id: string) => addChild(ctx, group.id, id);
  const opts = { boundaryId: node.id, kind: 'steps' as const, captureResult: referencesResult(g.text, 'steps', name), link };
  try {
    const exp = expandCall(step, scope);
    if (exp.kind === 'single') {
      const child = await slots.run(() =>
        failFast.guard(step, () => runCall(ctx, exp.call, scope, { ...opts, nodeName: base, displayName: name })),
      );
      if (child) scope.recordNode(name, child, calledTemplate(ctx, step));
      return { step, children: child ? [child] : [] };
    }
    if (exp.items.length === 0) {
      const skipped = createNode(ctx, {
        name: base,
        type: 'Skipped',
        templateName: step.template as string | undefined,
        boundaryId: node.id,
        phase: 'Skipped',
        message: 'Skipped, empty params',
      });
      link(skipped.id);
      scope.recordLoop(name, group, []);
      return { step, children: [skipped] };
    }
    const children = await Promise.all(
      exp.items.map((item) =>
        slots.run(() =>
          failFast.guard(step, () =>
            runCall(ctx, item.call, scope, { ...opts, nodeName: `${base}${item.suffix}`, displayName: `${name}${item.suffix}` }),
          ),
        ),
      ),
    );
    const created = children.filter((c): c is NodeStatus => c !== undefined);
    scope.recordLoop(name, group, created);
    return { step, children: created };
  } catch (err) {
    if (!isCallError(err)) throw err;
    return { step, children: [], error: err.message };
  }
}

/** The group's phase from its steps' outcomes (steps.go: failFast, errors, failures not excused by continueOn, a stop). */
function settleGroup(g: GroupRun, outcomes: StepOutcome[]): void {
  const { ctx, group } = g;
  let groupError = outcomes.find((o) => o.error !== undefined)?.error;
  for (const o of outcomes) {
    for (const c of o.children) if (c.type === 'Skipped' && c.phase === 'Error') groupError ??= c.message;
  }
  const failed = outcomes.flatMap((o) =>
    o.children.filter((c) => (c.phase === 'Failed' || c.phase === 'Error') && !continues(o.step, c.phase)),
  );
  if (g.failFast.tripped) setPhase(ctx, group, 'Failed', FAIL_FAST_MESSAGE);
  else if (groupError !== undefined) setPhase(ctx, group, 'Error', groupError);
  else if (failed.length > 0) setPhase(ctx, group, 'Failed', `child '${failed[0]!.id}' failed`);
  else if (stopState(ctx) && outcomes.some((o) => o.children.length === 0)) setPhase(ctx, group, 'Failed', stopState(ctx)!.nodeMessage);
  else setPhase(ctx, group, 'Succeeded');
}

/** Runs the groups of a steps template under `node`; sets its phase and outbound nodes; returns its scope. */
export async function runSteps(
  ctx: RunContext,
  node: NodeStatus,
  tmpl: Template,
  inputArtifacts?: Map<string, ArtifactRef>,
  baseVars?: Record<string, string>,
): Promise<Scope> {
  const scope = new Scope('steps', inputArtifacts, baseVars);
  const failFast = new FailFast(tmpl);
  // Outputs count too: `valueFrom.expression` may read a step's result.
  const text = JSON.stringify(tmpl);
  const slots = new Semaphore(Number(tmpl.parallelism ?? 0) || undefined);
  let previous: string[] = [];
  const groups = tmpl.steps ?? [];
  for (let gi = 0; gi < groups.length; gi++) {
    if (ctx.stopped) {
      setPhase(ctx, node, 'Failed', ctx.stopped.nodeMessage);
      return scope;
    }
    const group = createNode(ctx, {
      name: `${node.name}[${gi}]`,
      type: 'StepGroup',
      templateName: tmpl.name,
      boundaryId: node.id,
      phase: 'Running',
    });
    if (gi === 0) addChild(ctx, node.id, group.id);
    else for (const id of previous) addChild(ctx, id, group.id);
    const g: GroupRun = { ctx, node, group, scope, slots, failFast, text };
    const outcomes = await Promise.all(groups[gi]!.map((step) => runStep(g, step)));
    settleGroup(g, outcomes);
    if (group.phase !== 'Succeeded') {
      setPhase(ctx, node, 'Failed', group.message);
      return scope;
    }
    previous = outcomes.flatMap((o) => o.children.flatMap((c) => outboundNodes(ctx, c.id)));
  }
  node.outboundNodes = previous;
  setPhase(ctx, node, 'Succeeded');
  return scope;
}
