/**
 * A pod's main process from spawn to phase (SEMANTICS §1, §9): its sidecars beside it, its deadline, a daemon's
 * readiness, the kill of a stop, then its exit code, the limit it hit, its outputs and its phase.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import { setPhase, stopState, type Killable, type Obj, type RunContext, type Template } from '../execution/context.ts';
import { durationSeconds } from '../expressions/durations.ts';
import { archiveMainLog } from '../execution/archive-logs.ts';
import { registerDaemon } from '../execution/daemons.ts';
import type { RunningProcess, SpawnOutcome } from './spawner.ts';
import { exceeded, limitHit } from './limits.ts';
import { POD_IP, parseProbe } from './pod-network.ts';
import { startContainer, stopSidecars, waitReady, type ContainerRun } from './containers.ts';
import { collectOutputs } from './pod-outputs.ts';
import { setupMessage, type Launch } from './pod-launch.ts';
import type { PodRequest } from './pod.ts';
import { containerGraph } from './container-set.ts';

/**
 * The pod's activeDeadlineSeconds: the template's, lowered to what is left of its `timeout` counted from the
 * node's start, Pending time included (workflowpod.go, checkTemplateTimeouts). Undefined: none.
 */
function podDeadlineSeconds(tmpl: Template, node: NodeStatus): { seconds: number; fromTimeout: boolean } | undefined {
  const own = Number(tmpl.activeDeadlineSeconds ?? 0);
  const timeout = durationSeconds(tmpl.timeout);
  if (timeout !== undefined) {
    const left = Math.floor(timeout - (Date.now() - Date.parse(node.startedAt ?? new Date().toISOString())) / 1000);
    if (!(own > 0) || left < own) return { seconds: left, fromTimeout: true };
  }
  return own > 0 ? { seconds: own, fromTimeout: false } : undefined;
}

/** The last few KiB of a log, where a program reports the limit it ran into. */
async function logTail(file: string): Promise<string> {
  const text = await readFile(file).catch(() => Buffer.alloc(0));
  return text.subarray(Math.max(0, text.length - 4096)).toString('utf8');
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

/** Main while it runs: its process, its sidecars, how it was killed. */
interface MainRun {
  proc: RunningProcess;
  handle: Killable;
  sidecars: Array<{ body: Obj; run: ContainerRun }>;
  /** A containerSet's containers, main among them. */
  graph?: ReturnType<typeof containerGraph>;
  timer?: NodeJS.Timeout;
  logFile: string;
  /** The message of the kill that ended it (a stop, the deadline, its daemon scope). */
  killedWith?: string;
  /** A daemon whose scope ended: it keeps what it had. */
  scopeEnded: boolean;
}

/** Starts the sidecars (with main, workflowpod.go) and main, killable by a stop and by its deadline. */
function startMain(
  ctx: RunContext,
  node: NodeStatus,
  req: PodRequest,
  l: Launch,
  logFile: string,
  deadlineSeconds: number | undefined,
): MainRun {
  const sidecars = ((req.tmpl.sidecars as Obj[] | undefined) ?? []).map((body) => ({ body, run: startContainer(ctx, l.launcher, body) }));
  const spawnMain = () =>
    ctx.spawner.spawn({
      file: l.file,
      args: l.args,
      infoFd: l.infoFd,
      cwd: l.cwd,
      env: l.env,
      log: logFile,
      capture: req.captureResult,
      logLimit: ctx.limits.logMb * 1024 * 1024,
      logMarker: `... log truncated: ${exceeded(ctx.limits, 'logMb')}; the rest of this step's output was dropped`,
      egress: l.egress,
    });
  // A containerSet's containers run as their dependencies allow; main is one of them (pods/container-set.ts).
  const graph = req.tmpl.containerSet ? containerGraph(ctx, node, req.tmpl.containerSet as Obj, l.launcher) : undefined;
  const proc = graph ? graph.run(spawnMain) : spawnMain();
  const run: MainRun = { proc, sidecars, graph, logFile, scopeEnded: false, handle: { kill: () => undefined } };
  run.handle = {
    kill(message) {
      if (run.killedWith) return;
      run.killedWith = message;
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
    },
  };
  ctx.running.add(run.handle);
  if (deadlineSeconds !== undefined)
    run.timer = setTimeout(() => run.handle.kill('Pod was active on the node longer than the specified deadline'), deadlineSeconds * 1000);
  return run;
}

/** Running, or for a daemon Pending until ready, then daemoned (execution/daemons.ts); returns its unregister. */
async function markRunning(ctx: RunContext, node: NodeStatus, req: PodRequest, l: Launch, run: MainRun): Promise<(() => void) | undefined> {
  await run.proc.started;
  if (!req.daemon) {
    if (!run.killedWith) setPhase(ctx, node, 'Running');
    return undefined;
  }
  const probe = parseProbe((req.tmpl.container as Obj | undefined)?.readinessProbe);
  const ready = await waitReady(ctx, l.launcher, probe, node, run.proc.done);
  if (!ready || run.killedWith) return undefined;
  const unregister = registerDaemon(ctx, node, POD_IP, () => {
    if (!stopState(ctx)) run.scopeEnded = true;
    run.handle.kill('daemon ended with its scope');
  });
  req.daemon.ready(node);
  return unregister;
}

type Failure = { phase: 'Failed' | 'Error'; message?: string } | undefined;

/** How main's end fails the node, if it does (the limit it hit named); sets its exit code and result. */
async function failureOf(
  ctx: RunContext,
  node: NodeStatus,
  req: PodRequest,
  run: MainRun,
  o: { outcome: SpawnOutcome; cgroupHit?: 'processes' | 'memoryMb'; sidecarFailure?: string },
): Promise<Failure> {
  const { outcome } = o;
  const exitCode = outcome.code ?? 128 + (outcome.signal ? (SIGNALS[outcome.signal] ?? 9) : 9);
  // A daemon its scope ended keeps what it had (killDaemonedChildren only marks it Succeeded).
  if (!run.scopeEnded) node.outputs = { exitCode: String(exitCode) };
  if (req.captureResult && node.outputs) node.outputs.result = (outcome.result ?? '').replace(/\n$/, '');
  if (run.scopeEnded) return undefined;
  if (run.killedWith) return { phase: 'Failed', message: run.killedWith };
  if (exitCode !== 0) {
    const hit = o.cgroupHit ? exceeded(ctx.limits, o.cgroupHit) : limitHit(ctx.limits, exitCode, await logTail(run.logFile));
    return { phase: 'Failed', message: `main: Error (exit code ${exitCode})${hit ? `: ${hit}` : ''}` };
  }
  if (o.sidecarFailure) return { phase: 'Failed', message: o.sidecarFailure };
  // A daemon that exits by itself, even with 0, is Failed (operator.go:assessNodeStatus).
  return req.daemon ? { phase: 'Failed' } : undefined;
}

/** Main has ended: its outputs read (unless its daemon scope ended), its private files removed, its phase set. */
async function settle(ctx: RunContext, node: NodeStatus, req: PodRequest, l: Launch, run: MainRun, failure: Failure): Promise<void> {
  try {
    if (!run.scopeEnded) {
      await collectOutputs(ctx, node, req, l.fs, l.pod, l.sandbox.hostOutputs);
      await archiveMainLog(ctx, node, req.tmpl, run.logFile, l.pod);
    }
  } catch (err) {
    failure ??= { phase: 'Error', message: (err as Error).message };
  }
  // The pod's private files are gone with the pod in Argo too; logs stay.
  await l.sandbox.cleanup();
  if (node.daemoned) delete node.daemoned;
  if (run.scopeEnded) ctx.touch(node);
  else if (failure) setPhase(ctx, node, failure.phase, failure.message);
  else setPhase(ctx, node, 'Succeeded');
}

/**
 * Runs main to its end and records the node's phase and outputs; `releaseProcess` frees the process slot once
 * the process has exited (collecting outputs needs none).
 */
export async function runProcess(ctx: RunContext, node: NodeStatus, req: PodRequest, l: Launch, releaseProcess: () => void): Promise<void> {
  const deadline = podDeadlineSeconds(req.tmpl, node);
  // Argo refuses to create a pod with one second or less left of its timeout.
  if (deadline?.fromTimeout && deadline.seconds <= 1) {
    setPhase(ctx, node, 'Error', `${node.name} exceeded its deadline`);
    return;
  }
  const run = startMain(ctx, node, req, l, path.join(l.nodeDir, 'main.log'), deadline?.seconds);
  const unregister = await markRunning(ctx, node, req, l, run);
  const outcome = await run.proc.done;
  unregister?.();
  const sidecarFailure = await stopSidecars(run.sidecars);
  // Nothing the step started outlives it: what is left in its groups is killed now.
  const cgroupHit = await l.cgroup?.hit();
  await l.cgroup?.remove();
  releaseProcess();
  if (run.timer) clearTimeout(run.timer);
  ctx.running.delete(run.handle);
  if (outcome.error?.startsWith('network:') && !run.killedWith) {
    setPhase(ctx, node, 'Failed', `main: ${outcome.error}`);
    return;
  }
  if (outcome.error && outcome.code === null && !run.killedWith) {
    setPhase(ctx, node, 'Error', `main: failed to start "${l.file}": ${setupMessage(ctx, outcome.error)}`);
    return;
  }
  let failure = await failureOf(ctx, node, req, run, { outcome, cgroupHit, sidecarFailure });
  const setFailure = run.graph?.failure();
  if (setFailure && !run.killedWith) failure = { phase: 'Failed', message: setFailure };
  await settle(ctx, node, req, l, run, failure);
}
