/** Runs one container/script node as a host process (SEMANTICS §1, §9) and collects its outputs. */
import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import {
  createNode,
  setPhase,
  stopState,
  type ArtifactRef,
  type Killable,
  type Obj,
  type RunContext,
  type Template,
} from '../execution/context.ts';
import { PodSetupError } from '../errors.ts';
import type { RemoteSource } from '../execution/remote-artifacts.ts';
import { podPaths, type PodFs } from './mounts.ts';
import { imageCommand, knownEntrypoint } from './images.ts';
import { durationSeconds } from '../expressions/durations.ts';
import { holdLocks } from '../execution/sync.ts';
import { archiveMainLog } from '../execution/archive-logs.ts';
import { podName } from '../state/names.ts';
import type { PodSandbox } from './sandbox.ts';
import type { SpawnRequest } from './spawner.ts';
import { confined } from './confine.ts';
import { keyRefusal } from '../admission/artifact-scope.ts';
import { exceeded, limitHit, prlimitArgs } from './limits.ts';
import { joinArgs, type NodeCgroup } from './cgroups.ts';
import { BLOCKED_RANGES } from './network.ts';
import { POD_IP, parseProbe, podNetworkPrefix } from './pod-network.ts';
import { initContainers, missingProgram, startContainer, stopSidecars, waitReady, type PodLauncher } from './containers.ts';
import { registerDaemon, runDaemonPod } from '../execution/daemons.ts';
import { containerGraph } from './container-set.ts';

/** PATH of a step that declares none (as in a Debian-based image; /usr/games for the whalesay examples' cowsay). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games';

/** The template annotation that gives a step network access (the translator puts it on the fetch step). */
export const NETWORK_ANNOTATION = 'ogdc.dataone.org/network';

/** One input artifact after argument resolution. */
export interface InputArtifact {
  name: string;
  path: string;
  source?: ArtifactRef;
  raw?: string;
  /** An `http` or `git` source (remote-artifacts.ts). */
  remote?: RemoteSource;
  /** File mode to set once loaded. */
  mode?: number;
  optional: boolean;
}

export interface PodRequest {
  nodeName: string;
  templateName: string;
  boundaryId?: string;
  /** The template with its variables substituted. */
  tmpl: Template;
  inputs: NodeStatus['inputs'];
  inputArtifacts: InputArtifact[];
  captureResult: boolean;
  link(id: string): void;
  /** Set for a `daemon` template (execution/daemons.ts): called once the pod is ready. */
  daemon?: { ready(node: NodeStatus): void };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Names recently found on a PATH (`PATH\0name` → when): a fan-out of one command looks it up once, not per pod. */
const foundOnPath = new Map<string, number>();
const FOUND_TTL_MS = 1000;

/** Whether the command can start: an existing executable path (in the pod's layer or the host), or a name on PATH. */
async function commandExists(cmd: string, envPath: string, fs: PodFs | undefined): Promise<boolean> {
  if (cmd.includes('/')) return (await isExecutable(cmd)) || (fs !== undefined && (await isExecutable(fs.hostPath(cmd))));
  const key = `${envPath}\0${cmd}`;
  const at = foundOnPath.get(key);
  if (at !== undefined && Date.now() - at < FOUND_TTL_MS) return true;
  for (const dir of envPath.split(':').filter(Boolean)) {
    if (await isExecutable(path.join(dir, cmd))) {
      if (foundOnPath.size > 1000) foundOnPath.clear();
      foundOnPath.set(key, Date.now());
      return true;
    }
  }
  return false;
}

/**
 * An output path in the pod's layer or volumes, its links resolved without leaving them (a link to a host file
 * reads as missing); without a sandbox, paths the host provides (like /etc/os-release) count too.
 */
async function outputSource(fs: PodFs, podPath: string, hostOutputs: boolean): Promise<string> {
  const own = fs.hostPath(podPath);
  const inPod = await confined(own, fs.bases);
  if (inPod && (await stat(inPod).catch(() => undefined))) return inPod;
  const normal = path.posix.normalize(podPath);
  const onHost = hostOutputs && normal !== '/tmp' && !normal.startsWith('/tmp/') && (await stat(normal).catch(() => undefined));
  return onHost ? normal : path.join(fs.root, '.ogdc-missing');
}

async function collectOutputs(
  ctx: RunContext,
  node: NodeStatus,
  req: PodRequest,
  fs: PodFs,
  pod: string,
  hostOutputs: boolean,
): Promise<void> {
  const outputs = (node.outputs ??= {});
  const maxBytes = ctx.limits.outputMb * 1024 * 1024;
  for (const p of req.tmpl.outputs?.parameters ?? []) {
    const vf = (p.valueFrom ?? {}) as Obj;
    const file = await outputSource(fs, String(vf.path), hostOutputs);
    let value: string | undefined;
    try {
      if (((await stat(file)).size ?? 0) > maxBytes)
        throw new PodSetupError(node.name, `output parameter '${String(p.name)}': ${exceeded(ctx.limits, 'outputMb')}`);
      value = (await readFile(file, 'utf8')).replace(/\n$/, '');
    } catch (err) {
      if (err instanceof PodSetupError) throw err;
      if (vf.default !== undefined) value = String(vf.default);
      else throw new PodSetupError(node.name, `open ${String(vf.path)}: no such file or directory (output parameter '${String(p.name)}')`);
    }
    (outputs.parameters ??= []).push({ name: String(p.name), value });
    if (typeof p.globalName === 'string') ctx.globals[`workflow.outputs.parameters.${p.globalName}`] = value;
  }
  for (const a of req.tmpl.outputs?.artifacts ?? []) {
    const artPath = path.posix.normalize(String(a.path));
    const none = (a.archive as Obj | undefined)?.none !== undefined;
    const explicitKey = (a.s3 as Obj | undefined)?.key;
    const key =
      typeof explicitKey === 'string' ? explicitKey : `${ctx.name}/${pod}/${none ? path.posix.basename(artPath) : `${String(a.name)}.tgz`}`;
    const refused = keyRefusal(ctx.artifactScope, key, 'write');
    if (refused) throw new PodSetupError(node.name, `output artifact '${String(a.name)}': ${refused}`);
    const source = await outputSource(fs, artPath, hostOutputs);
    if ((await treeBytes(source)) > maxBytes)
      throw new PodSetupError(node.name, `output artifact '${String(a.name)}': ${exceeded(ctx.limits, 'outputMb')}`);
    const saved = await ctx.store.save(source, key, none ? 'none' : 'tgz');
    if (!saved) {
      if (a.optional) continue;
      throw new PodSetupError(node.name, `output artifact '${String(a.name)}': ${artPath}: no such file or directory`);
    }
    const ref = { name: String(a.name), path: artPath, s3: { key }, ...(none ? { archive: { none: {} } } : {}) };
    (outputs.artifacts ??= []).push(ref);
    if (typeof a.globalName === 'string')
      ctx.globalArtifacts.set(`workflow.outputs.artifacts.${a.globalName}`, { ...ref, name: a.globalName });
  }
}

/** Bytes under `file` (links not followed). */
async function treeBytes(file: string): Promise<number> {
  const st = await lstat(file).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(file)) total += await treeBytes(path.join(file, name));
  return total;
}

/** Creates the Pod node, runs its process (sandboxed or with rewritten paths), records phase and outputs. */
export async function runPod(ctx: RunContext, req: PodRequest): Promise<NodeStatus | undefined> {
  if (req.tmpl.daemon === true && !req.daemon) return runDaemonPod(ctx, (ready) => runPod(ctx, { ...req, daemon: { ready } }));
  const releasePod = await ctx.podSlots.acquire();
  try {
    if (ctx.stopped) return undefined;
    const node = createNode(ctx, {
      name: req.nodeName,
      type: 'Pod',
      templateName: req.templateName,
      boundaryId: req.boundaryId,
      phase: 'Pending',
    });
    if (req.inputs && (req.inputs.parameters?.length || req.inputs.artifacts?.length)) node.inputs = req.inputs;
    req.link(node.id);
    // Template-level synchronization: the node waits Pending with Argo's message (operator.go: TryAcquire).
    const held = await holdLocks(ctx, req.tmpl.synchronization as Obj | undefined, node.id, (message) => {
      node.message = message;
      ctx.touch(node);
    });
    if ('error' in held) {
      const stop = stopState(ctx);
      setPhase(ctx, node, stop ? 'Failed' : 'Error', stop?.nodeMessage ?? held.error);
      return node;
    }
    if (node.message?.startsWith('Waiting for ')) delete node.message;
    try {
      await execute(ctx, node, req);
    } finally {
      held.release();
    }
    return node;
  } finally {
    releasePod();
  }
}

/** A setup failure as the node shows it: never a host path of the data folder. */
function setupMessage(ctx: RunContext, err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split(ctx.dataDir).join('<data folder>');
}

async function execute(ctx: RunContext, node: NodeStatus, req: PodRequest): Promise<void> {
  const pod = podName(ctx.name, node.name, req.templateName);
  const nodeDir = path.join(ctx.wfDir, 'nodes', node.id);
  let sandbox: PodSandbox;
  try {
    await mkdir(nodeDir, { recursive: true });
    const paths = podPaths(ctx, node, req.tmpl, nodeDir);
    // An exec readiness probe runs as its own sandbox: it sees main's /tmp only in the layer (no tmpfs).
    const probe = (req.tmpl.container as Obj | undefined)?.readinessProbe as Obj | undefined;
    if (req.tmpl.daemon === true && probe?.exec !== undefined) paths.declared = [...paths.declared, '/tmp'];
    sandbox = await ctx.sandbox.pod(ctx, req, paths, nodeDir);
  } catch (err) {
    setPhase(ctx, node, 'Error', setupMessage(ctx, err));
    return;
  }
  const rewrite = sandbox.rewrite;
  const body = (req.tmpl.container ?? req.tmpl.script ?? {}) as Obj;
  const command =
    Array.isArray(body.command) && body.command.length > 0
      ? imageCommand(body.image, body.command as unknown[])
      : (knownEntrypoint(body.image) ?? []);
  const argv = [...command, ...((body.args as unknown[]) ?? [])].map((a) => rewrite(String(a)));
  let scriptFile: string | undefined;
  if (req.tmpl.script) {
    // Argo stages the source at /argo/staging/script and appends that path to the args.
    scriptFile = path.join(nodeDir, 'script');
    await writeFile(scriptFile, rewrite(String(req.tmpl.script.source ?? '')), { mode: 0o755 });
    argv.push(sandbox.scriptArg(scriptFile));
  }
  // Only these and what the template declares: never the service's environment (its secrets).
  const podEnv = (name: string, b: Obj): Record<string, string> => {
    const e: Record<string, string> = {
      PATH: DEFAULT_PATH,
      HOME: '/tmp',
      LANG: 'C.UTF-8',
      ARGO_CONTAINER_NAME: name,
      ARGO_POD_NAME: pod,
      ARGO_NODE_ID: node.id,
    };
    for (const x of (b.env as Obj[] | undefined) ?? []) e[String(x.name)] = rewrite(String(x.value ?? ''));
    sandbox.place(e, typeof b.workingDir === 'string' ? b.workingDir : undefined);
    return e;
  };
  const env = podEnv('main', body);
  const cwd = sandbox.place({}, typeof body.workingDir === 'string' ? body.workingDir : undefined);
  const annotations = ((req.tmpl.metadata as Obj | undefined)?.annotations ?? {}) as Obj;
  // The fetch step (annotated) gets outbound access, or with private sources allowed the host's network (the
  // demo's loopback data server); other steps get outbound access only with OGDC_LOCAL_STEP_NETWORK=egress.
  const annotated = annotations[NETWORK_ANNOTATION] === 'egress';
  const network = annotated && ctx.fetchHostNetwork ? 'host' : annotated || ctx.limits.network === 'egress' ? 'egress' : 'none';
  // Shared fairly between the users whose runs wait (the service labels each run with its submitter).
  const releaseProcess = await ctx.processSlots.acquire(ctx.wf.metadata.labels?.['ogdc/submitter'] ?? '');
  let cgroup: NodeCgroup | undefined;
  try {
    if (ctx.stopped) {
      setPhase(ctx, node, 'Failed', ctx.stopped.nodeMessage);
      return;
    }
    let fs: PodFs;
    try {
      fs = await sandbox.attach();
    } catch (err) {
      setPhase(ctx, node, 'Error', setupMessage(ctx, err));
      return;
    }
    const cmd = argv[0]!;
    if (!(await commandExists(cmd, env.PATH ?? DEFAULT_PATH, sandbox.layerCommands ? fs : undefined))) {
      node.outputs = { ...node.outputs, exitCode: '127' };
      setPhase(ctx, node, 'Failed', `main: command "${cmd}" not found: exec: "${cmd}": executable file not found in $PATH`);
      return;
    }
    const egress = sandbox.egress(network);
    const tools = ctx.host.networkTools;
    if (egress && !tools) {
      setPhase(ctx, node, 'Failed', `main: the step needs network: ${ctx.host.egressProblem ?? 'no network programs'}`);
      return;
    }
    // A workflow with daemons or sidecars: its sandboxed pods share one network (pods/pod-network.ts).
    let shared: string[] | undefined;
    try {
      shared = ctx.sandbox.kind === 'bwrap' && network === 'none' ? await podNetworkPrefix(ctx) : undefined;
    } catch (err) {
      setPhase(ctx, node, 'Error', (err as Error).message);
      return;
    }
    const confinement = { network, tmpBytes: ctx.limits.tmpMb * 1024 * 1024, resolvConf: ctx.host.resolvConf } as const;
    if (ctx.host.cgroups) {
      try {
        cgroup = await ctx.host.cgroups.node(node.id, ctx.limits.processes, ctx.limits.memoryMb);
      } catch (err) {
        setPhase(ctx, node, 'Error', `cannot create the step's cgroup: ${(err as NodeJS.ErrnoException).code ?? 'failed'}`);
        return;
      }
    }
    // prlimit execs its command: the limits hold for the sandbox and everything started in it; before it, the
    // process joins the step's cgroups. The same for every container of the pod (pods/containers.ts); only
    // main passes the egress gate (the others of an egress pod get no network).
    const wrapFor = (cmdArgv: string[], wd: string, isMain: boolean) => {
      const inner = [
        ...(shared ?? []),
        ...sandbox.command(cmdArgv, {
          scriptFile: isMain ? scriptFile : undefined,
          cwd: wd,
          confinement: { ...confinement, network: shared ? 'egress' : egress && !isMain ? 'none' : network },
          unshare: isMain && !shared ? tools?.unshare : undefined,
        }),
      ];
      const [file, ...args] = [
        ...(cgroup ? joinArgs(cgroup.procsFiles) : []),
        'prlimit',
        ...prlimitArgs(ctx.limits, cgroup !== undefined),
        '--',
        ...inner,
      ] as [string, ...string[]];
      return { file, args, cwd: sandbox.spawnCwd(wd) };
    };
    const launcher: PodLauncher = {
      wrap: (a, wd) => wrapFor(a, sandbox.place({}, wd), false),
      env: podEnv,
      rewrite,
      nodeDir,
      netPrefix: shared,
    };
    const { file, args } = wrapFor(argv, cwd, true);
    const missing = await missingProgram(req.tmpl, (prog) =>
      commandExists(prog, env.PATH ?? DEFAULT_PATH, sandbox.layerCommands ? fs : undefined),
    );
    if (missing) {
      setPhase(ctx, node, 'Failed', missing);
      return;
    }
    const initFailure = await initContainers(ctx, req.tmpl, launcher);
    if (initFailure) {
      setPhase(ctx, node, 'Failed', initFailure);
      return;
    }
    // Checked again right before the spawn: a stop during the setup above has no process to kill yet.
    const stop = stopState(ctx);
    if (stop) {
      setPhase(ctx, node, 'Failed', stop.nodeMessage);
      return;
    }
    await runProcess(ctx, node, req, {
      file,
      args,
      env,
      cwd: sandbox.spawnCwd(cwd),
      launcher,
      fs,
      nodeDir,
      pod,
      releaseProcess,
      sandbox,
      cgroup,
      egress: egress && tools ? { blocked: BLOCKED_RANGES, tools } : undefined,
    });
  } finally {
    releaseProcess();
    await cgroup
      ?.remove()
      .catch((err: unknown) => ctx.log(`local engine: removing the cgroup of ${node.id} failed: ${(err as Error).message}`));
    await sandbox.release();
  }
}

interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  fs: PodFs;
  nodeDir: string;
  pod: string;
  /** Frees the process slot once the process has exited (collecting outputs needs none). */
  releaseProcess: () => void;
  /** Hands the pod's layer back once outputs are collected, and removes its private files. */
  sandbox: PodSandbox;
  /** The node's control groups: they say which limit the step hit and are emptied when its process ends. */
  cgroup?: NodeCgroup;
  /** Outbound network through the gate (pods/network.ts). */
  egress?: SpawnRequest['egress'];
  /** Starts the pod's other containers and probes (pods/containers.ts). */
  launcher: PodLauncher;
}

async function runProcess(ctx: RunContext, node: NodeStatus, req: PodRequest, l: Launch): Promise<void> {
  let killedWith: string | undefined;
  const deadline = podDeadlineSeconds(req.tmpl, node);
  // Argo refuses to create a pod with one second or less left of its timeout.
  if (deadline?.fromTimeout && deadline.seconds <= 1) {
    setPhase(ctx, node, 'Error', `${node.name} exceeded its deadline`);
    return;
  }
  const logFile = path.join(l.nodeDir, 'main.log');
  // Sidecars start with main (workflowpod.go); killed once it has ended.
  const sidecars = ((req.tmpl.sidecars as Obj[] | undefined) ?? []).map((body) => ({ body, run: startContainer(ctx, l.launcher, body) }));
  const spawnMain = () =>
    ctx.spawner.spawn({
      file: l.file,
      args: l.args,
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
  const handle: Killable = {
    kill(message) {
      if (killedWith) return;
      killedWith = message;
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
    },
  };
  ctx.running.add(handle);
  const timer =
    deadline !== undefined
      ? setTimeout(() => handle.kill('Pod was active on the node longer than the specified deadline'), deadline.seconds * 1000)
      : undefined;
  await proc.started;
  let scopeEnded = false;
  let unregister: (() => void) | undefined;
  if (req.daemon) {
    // Pending until ready; then daemoned, and the caller goes on while the process runs (execution/daemons.ts).
    const ready = await waitReady(ctx, l.launcher, parseProbe((req.tmpl.container as Obj | undefined)?.readinessProbe), node, proc.done);
    if (ready && !killedWith) {
      unregister = registerDaemon(ctx, node, POD_IP, () => {
        if (!stopState(ctx)) scopeEnded = true;
        handle.kill('daemon ended with its scope');
      });
      req.daemon.ready(node);
    }
  } else if (!killedWith) setPhase(ctx, node, 'Running');
  const outcome = await proc.done;
  unregister?.();
  const sidecarFailure = await stopSidecars(sidecars);
  // Nothing the step started outlives it: what is left in its groups is killed now.
  const cgroupHit = await l.cgroup?.hit();
  await l.cgroup?.remove();
  l.releaseProcess();
  if (timer) clearTimeout(timer);
  ctx.running.delete(handle);
  if (outcome.error?.startsWith('network:') && !killedWith) {
    setPhase(ctx, node, 'Failed', `main: ${outcome.error}`);
    return;
  }
  if (outcome.error && outcome.code === null && !killedWith) {
    setPhase(ctx, node, 'Error', `main: failed to start "${l.file}": ${setupMessage(ctx, outcome.error)}`);
    return;
  }
  const exitCode = outcome.code ?? 128 + (outcome.signal ? (signalNumber(outcome.signal) ?? 9) : 9);
  // A daemon its scope ended keeps what it had (killDaemonedChildren only marks it Succeeded).
  if (!scopeEnded) node.outputs = { exitCode: String(exitCode) };
  if (req.captureResult && node.outputs) node.outputs.result = (outcome.result ?? '').replace(/\n$/, '');
  let failure: { phase: 'Failed' | 'Error'; message?: string } | undefined;
  if (scopeEnded) failure = undefined;
  else if (killedWith) failure = { phase: 'Failed', message: killedWith };
  else if (exitCode !== 0) {
    const hit = cgroupHit ? exceeded(ctx.limits, cgroupHit) : limitHit(ctx.limits, exitCode, await logTail(logFile));
    failure = { phase: 'Failed', message: `main: Error (exit code ${exitCode})${hit ? `: ${hit}` : ''}` };
  } else if (sidecarFailure) failure = { phase: 'Failed', message: sidecarFailure };
  // A daemon that exits by itself, even with 0, is Failed (operator.go:assessNodeStatus).
  else if (req.daemon) failure = { phase: 'Failed' };
  const setFailure = graph?.failure();
  if (setFailure && !killedWith) failure = { phase: 'Failed', message: setFailure };
  try {
    if (!scopeEnded) {
      await collectOutputs(ctx, node, req, l.fs, l.pod, l.sandbox.hostOutputs);
      await archiveMainLog(ctx, node, req.tmpl, logFile, l.pod);
    }
  } catch (err) {
    failure ??= { phase: 'Error', message: (err as Error).message };
  }
  // The pod's private files are gone with the pod in Argo too; logs stay.
  await l.sandbox.cleanup();
  if (node.daemoned) delete node.daemoned;
  if (scopeEnded) ctx.touch(node);
  else if (failure) setPhase(ctx, node, failure.phase, failure.message);
  else setPhase(ctx, node, 'Succeeded');
}

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

function signalNumber(signal: NodeJS.Signals): number | undefined {
  const table: Partial<Record<NodeJS.Signals, number>> = {
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
  return table[signal];
}
