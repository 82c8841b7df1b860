/**
 * `daemon: true` templates (operator.go: assessNodeStatus, exec_control.go:killDaemonedChildren). The Pod node
 * stays Pending until its process runs and its readiness probe passes; then it is Running with `daemoned: true`
 * and `podIP`, and the step or task counts as done (NodeStatus.Fulfilled) while the process goes on. When the
 * steps/dag node that started it (its boundary) ends, the process is killed and the node becomes Succeeded;
 * the workflow's end, a stop and the engine's close kill what is left. A daemon that exits by itself is Failed
 * (a daemon should run until killed).
 */
import type { NodeStatus } from '../../types.ts';
import { setPhase, type RunContext } from './context.ts';
import { sweepPodNetwork } from '../pods/pod-network.ts';

interface Daemon {
  node: NodeStatus;
  /** Retry nodes over it (Argo marks them daemoned too). */
  parents: NodeStatus[];
  kill(): void;
}

interface Registry {
  byBoundary: Map<string, Set<Daemon>>;
  /** Every daemon pod's whole run (process end, cleanup): the workflow waits for them before it finishes. */
  runs: Set<Promise<unknown>>;
}

const registries = new WeakMap<RunContext, Registry>();

function registry(ctx: RunContext): Registry {
  let r = registries.get(ctx);
  if (!r) {
    r = { byBoundary: new Map(), runs: new Set() };
    registries.set(ctx, r);
  }
  return r;
}

/**
 * Runs a daemon pod: resolves with its node once it is daemoned (or with the node's final state if it ends
 * before). `run` gets `ready`, which pod.ts calls when the readiness probe passes.
 */
export function runDaemonPod(
  ctx: RunContext,
  run: (ready: (node: NodeStatus) => void) => Promise<NodeStatus | undefined>,
): Promise<NodeStatus | undefined> {
  const r = registry(ctx);
  return new Promise((resolve, reject) => {
    const whole = run(resolve).then(resolve, reject);
    r.runs.add(whole);
    void whole.finally(() => r.runs.delete(whole));
  });
}

/** Marks the node daemoned and records it under its boundary; `kill` ends its process. */
export function registerDaemon(ctx: RunContext, node: NodeStatus, podIP: string, kill: () => void): () => void {
  node.daemoned = true;
  node.podIP = podIP;
  setPhase(ctx, node, 'Running');
  const key = node.boundaryID ?? '';
  const set = registry(ctx).byBoundary.get(key) ?? new Set<Daemon>();
  registry(ctx).byBoundary.set(key, set);
  const daemon: Daemon = { node, parents: [], kill };
  set.add(daemon);
  return () => set.delete(daemon);
}

/** A Retry node whose attempt is daemoned is daemoned too, and ends with it (operator.go:processNodeRetries). */
export function daemonedRetry(ctx: RunContext, retry: NodeStatus, child: NodeStatus): void {
  for (const set of registry(ctx).byBoundary.values())
    for (const d of set)
      if (d.node === child) {
        retry.daemoned = true;
        retry.podIP = child.podIP;
        d.parents.push(retry);
        setPhase(ctx, retry, 'Running');
      }
}

/**
 * Kills the daemoned pods whose boundary is `boundaryId` ('' : those of the workflow's top level) and marks them
 * (and their Retry nodes) Succeeded, as killDaemonedChildren does.
 */
export function killDaemons(ctx: RunContext, boundaryId: string): void {
  const set = registry(ctx).byBoundary.get(boundaryId);
  if (!set) return;
  registry(ctx).byBoundary.delete(boundaryId);
  for (const d of set) {
    for (const n of [d.node, ...d.parents]) {
      delete n.daemoned;
      // After a stop its own kill gives it the stop's message (Failed).
      if (n.phase === 'Running' && !ctx.stopped) setPhase(ctx, n, 'Succeeded');
    }
    d.kill();
  }
}

/** At the workflow's end: kills every daemon left and waits until their pods are cleaned up. */
export async function endDaemons(ctx: RunContext): Promise<void> {
  const r = registries.get(ctx);
  if (!r) return;
  for (const key of [...r.byBoundary.keys()]) killDaemons(ctx, key);
  const settled = Promise.allSettled([...r.runs]);
  // A daemon whose processes outlived their kill (SIGKILL after 2 s) is ended through the pod network.
  const timer = new Promise((resolve) => setTimeout(resolve, 5000).unref());
  if ((await Promise.race([settled.then(() => true), timer.then(() => false)])) === false) {
    const n = await sweepPodNetwork(ctx);
    ctx.log(`local engine: ${ctx.name}: killed ${n} process(es) left in the pod network`);
  }
  await settled;
}
