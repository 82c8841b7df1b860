/**
 * A pod's other containers (workflowpod.go, executor's wait/kill of sidecars): `initContainers` run one after the
 * other before main, a failure fails the pod; `sidecars` start with main and are killed (SIGTERM, then SIGKILL)
 * once main has ended; a `readinessProbe` says when a daemon's pod is ready. Every one is started by the pod's
 * own launcher (pods/pod-launch.ts): the same sandbox (layer, volumes, network), limits and cgroup as main, so a
 * sidecar is bounded by the step's limits and killed with its cgroup.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import { stopState, type Obj, type RunContext } from '../execution/context.ts';
import { imageCommand, knownEntrypoint } from './images.ts';
import type { Probe } from './pod-network.ts';
import type { RunningProcess, SpawnOutcome } from './spawner.ts';

/** Starts a command in the pod (its sandbox, limits and cgroup), as pod.ts builds it for main. */
export interface PodLauncher {
  /** The full command (cgroup join and limits, network, bubblewrap or path rewriting) for `argv` in `workingDir`. */
  wrap(argv: string[], workingDir: string | undefined): { file: string; args: string[]; cwd: string; infoFd?: number };
  /** The pod's environment for container `name` with its own `env` entries. */
  env(name: string, body: Obj): Record<string, string>;
  /** Rewrites pod paths to host paths (identity in a sandbox). */
  rewrite(text: string): string;
  nodeDir: string;
  /** The prefix entering the workflow's network (pods/pod-network.ts), if any: for probes the engine runs. */
  netPrefix?: string[];
}

export interface ContainerRun {
  proc: RunningProcess;
  /** Set when the engine killed it (a sidecar after main, a stop). */
  killed: boolean;
  outcome?: SpawnOutcome;
}

/** A container's command line: its command (or the image's entrypoint) and args, rewritten. */
export function argvOf(body: Obj, rewrite: (t: string) => string): string[] {
  const command =
    Array.isArray(body.command) && body.command.length > 0
      ? imageCommand(body.image, body.command as unknown[])
      : (knownEntrypoint(body.image) ?? []);
  return [...command, ...((body.args as unknown[]) ?? [])].map((a) => rewrite(String(a)));
}

/** Starts container `body` of the pod; its output goes to `<nodeDir>/<name>.log`. */
export function startContainer(ctx: RunContext, launcher: PodLauncher, body: Obj): ContainerRun {
  const name = String(body.name);
  const cmd = launcher.wrap(argvOf(body, launcher.rewrite), typeof body.workingDir === 'string' ? body.workingDir : undefined);
  const proc = ctx.spawner.spawn({
    ...cmd,
    env: launcher.env(name, body),
    log: path.join(launcher.nodeDir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`),
    capture: false,
    logLimit: ctx.limits.logMb * 1024 * 1024,
    logMarker: '... log truncated',
  });
  const run: ContainerRun = { proc, killed: false };
  void proc.done.then((o) => (run.outcome = o));
  return run;
}

function exitCodeOf(o: SpawnOutcome): number {
  if (o.code !== null) return o.code;
  return o.signal === 'SIGTERM' ? 143 : 137;
}

/** Kills a container: SIGTERM, SIGKILL two seconds later. */
function killContainer(run: ContainerRun): void {
  if (run.outcome) return;
  run.killed = true;
  run.proc.kill('SIGTERM');
  setTimeout(() => run.proc.kill('SIGKILL'), 2000).unref();
}

/**
 * Runs the init containers in order (pod.ts calls it before main); the failure message of the first that fails
 * (`NAME: Error (exit code N)`, operator.go:inferFailedReason), or undefined. `running` lets a stop kill them.
 */
async function runInitContainers(
  ctx: RunContext,
  launcher: PodLauncher,
  list: Obj[],
  running: (run: ContainerRun | undefined) => void,
): Promise<string | undefined> {
  for (const body of list) {
    const stop = stopState(ctx);
    if (stop) return stop.nodeMessage;
    const run = startContainer(ctx, launcher, body);
    running(run);
    const o = await run.proc.done;
    running(undefined);
    if (run.killed) return stopState(ctx)?.nodeMessage ?? `${String(body.name)}: killed`;
    if (o.error && o.code === null) return `${String(body.name)}: failed to start: ${o.error}`;
    const code = exitCodeOf(o);
    if (code !== 0) return `${String(body.name)}: Error (exit code ${code})`;
  }
  return undefined;
}

/** Runs the template's initContainers, killable by a stop; the failure message, or undefined. */
export async function initContainers(ctx: RunContext, tmpl: Obj, launcher: PodLauncher): Promise<string | undefined> {
  const list = (tmpl.initContainers as Obj[] | undefined) ?? [];
  if (list.length === 0) return undefined;
  let current: ContainerRun | undefined;
  const handle = {
    kill: () => {
      if (current) killContainer(current);
    },
  };
  ctx.running.add(handle);
  try {
    return await runInitContainers(ctx, launcher, list, (run) => (current = run));
  } finally {
    ctx.running.delete(handle);
  }
}

/**
 * Images are not pulled: the message for the first sidecar or init container whose program is not on this
 * machine (the pod fails at once rather than waiting on a sidecar that never starts), or undefined.
 */
export async function missingProgram(tmpl: Obj, exists: (prog: string) => Promise<boolean>): Promise<string | undefined> {
  const set = ((tmpl.containerSet as Obj | undefined)?.containers as Obj[] | undefined) ?? [];
  for (const other of [...((tmpl.initContainers as Obj[] | undefined) ?? []), ...((tmpl.sidecars as Obj[] | undefined) ?? []), ...set]) {
    const prog = String(argvOf(other, (t) => t)[0] ?? '');
    if (!(await exists(prog)))
      return `${String(other.name)}: command "${prog}" not found: exec: "${prog}": executable file not found in $PATH`;
  }
  return undefined;
}

/**
 * After main: kills the sidecars still running and waits for them; the message of a sidecar that had failed by
 * itself (exit code other than 0, 137, 143), which fails a pod whose main succeeded (inferFailedReason).
 */
export async function stopSidecars(sidecars: Array<{ body: Obj; run: ContainerRun }>): Promise<string | undefined> {
  const ended = sidecars.filter((s) => s.run.outcome !== undefined);
  for (const s of sidecars) killContainer(s.run);
  await Promise.all(sidecars.map((s) => s.run.proc.done));
  for (const s of ended) {
    const code = exitCodeOf(s.run.outcome!);
    if (code !== 0 && code !== 137 && code !== 143) return `${String(s.body.name)}: Error (exit code ${code})`;
  }
  return undefined;
}

// Runs in the pod's network (nsenter) as the engine's own node: argv kind host port [path scheme headers-json].
const PROBE_JS = `
const [kind, host, port, p, scheme, headers] = process.argv.slice(1);
const done = (ok) => process.exit(ok ? 0 : 1);
if (kind === 'tcp') {
  const s = require('net').connect(Number(port), host, () => { s.destroy(); done(true); });
  s.on('error', () => done(false));
} else {
  const mod = require(scheme === 'https' ? 'https' : 'http');
  const req = mod.get({ host, port: Number(port), path: p, headers: Object.fromEntries(JSON.parse(headers)), rejectUnauthorized: false },
    (res) => { res.resume(); done(res.statusCode >= 200 && res.statusCode < 400); });
  req.on('error', () => done(false));
}`;

/** One probe: true if it passed within its timeout. */
async function probeOnce(ctx: RunContext, launcher: PodLauncher, probe: Probe): Promise<boolean> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  if (probe.exec) {
    const run = startContainer(ctx, launcher, { name: 'readiness-probe', command: probe.exec });
    const timer = setTimeout(() => killContainer(run), timeoutMs);
    const o = await run.proc.done;
    clearTimeout(timer);
    return !run.killed && o.code === 0;
  }
  const args = probe.http
    ? ['http', probe.http.host, String(probe.http.port), probe.http.path, probe.http.scheme, JSON.stringify(probe.http.headers)]
    : ['tcp', probe.tcp!.host, String(probe.tcp!.port)];
  const [file, ...rest] = [...(launcher.netPrefix ?? []), process.execPath, '-e', PROBE_JS, ...args] as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(file, rest, { timeout: timeoutMs + 500, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (err) => resolve(!err));
  });
}

/**
 * Waits until the probe passes `successThreshold` times in a row (first after `initialDelaySeconds`, then every
 * `periodSeconds`), or `gone` resolves (the process ended or was killed). True: ready.
 */
export async function waitReady(
  ctx: RunContext,
  launcher: PodLauncher,
  probe: Probe | undefined,
  node: NodeStatus,
  gone: Promise<unknown>,
): Promise<boolean> {
  let over = false;
  void gone.then(() => (over = true));
  if (!probe) return !over;
  const sleep = (s: number) => Promise.race([new Promise((r) => setTimeout(r, s * 1000)), gone]).then(() => undefined);
  await sleep(probe.initialDelaySeconds);
  let passes = 0;
  while (!over && !ctx.stopped) {
    passes = (await probeOnce(ctx, launcher, probe)) ? passes + 1 : 0;
    if (passes >= probe.successThreshold) return !over;
    await sleep(probe.periodSeconds);
  }
  void node;
  return false;
}
