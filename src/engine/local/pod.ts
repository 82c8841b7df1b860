/** Runs one container/script node as a host process (SEMANTICS §1, §9) and collects its outputs. */
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus } from '../types.ts';
import { createNode, setPhase, stopState, type ArtifactRef, type Killable, type Obj, type RunContext, type Template } from './context.ts';
import { PodSetupError } from './errors.ts';
import { podFs, podPaths, rewriteMounts, type PodFs, type PodPaths } from './pods/mounts.ts';
import { knownEntrypoint } from './images.ts';
import { podName } from './names.ts';
import { makeRewriter } from './pods/sandbox-paths.ts';
import { bwrapArgs, sandboxLayout, SCRIPT_PATH, type SandboxLayout } from './pods/sandbox-layout.ts';

/** One input artifact after argument resolution. */
export interface InputArtifact {
  name: string;
  path: string;
  source?: ArtifactRef;
  raw?: string;
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

async function loadInputs(ctx: RunContext, req: PodRequest, fs: PodFs): Promise<void> {
  for (const art of req.inputArtifacts) {
    const dest = fs.hostPath(art.path);
    await mkdir(path.dirname(dest), { recursive: true });
    if (art.raw !== undefined) {
      await writeFile(dest, art.raw);
      continue;
    }
    const key = art.source?.s3?.key;
    const loaded = key ? await ctx.store.load(key, dest, art.source?.archive && 'none' in art.source.archive ? 'none' : 'auto') : false;
    if (!loaded && !art.optional) {
      throw new PodSetupError(
        req.nodeName,
        `failed to load artifact '${art.name}': ${key ? `key '${key}' not found in the artifact repository` : 'no source'}`,
      );
    }
  }
}

/** An output path in the pod's layer (or volume), else — for paths the image provides, like /etc — on the host. */
async function outputSource(fs: PodFs, podPath: string): Promise<string> {
  const own = fs.hostPath(podPath);
  if (await stat(own).catch(() => undefined)) return own;
  const normal = path.posix.normalize(podPath);
  const onHost = normal !== '/tmp' && !normal.startsWith('/tmp/') && (await stat(normal).catch(() => undefined));
  return onHost ? normal : own;
}

async function collectOutputs(ctx: RunContext, node: NodeStatus, req: PodRequest, fs: PodFs, pod: string): Promise<void> {
  const outputs = (node.outputs ??= {});
  for (const p of req.tmpl.outputs?.parameters ?? []) {
    const vf = (p.valueFrom ?? {}) as Obj;
    const file = await outputSource(fs, String(vf.path));
    let value: string | undefined;
    try {
      value = (await readFile(file, 'utf8')).replace(/\n$/, '');
    } catch {
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
    const saved = await ctx.store.save(await outputSource(fs, artPath), key, none ? 'none' : 'tgz');
    if (!saved) {
      if (a.optional) continue;
      throw new PodSetupError(node.name, `output artifact '${String(a.name)}': ${artPath}: no such file or directory`);
    }
    (outputs.artifacts ??= []).push({ name: String(a.name), path: artPath, s3: { key }, ...(none ? { archive: { none: {} } } : {}) });
  }
}

/** Creates the Pod node, runs its process (sandboxed or with rewritten paths), records phase and outputs. */
export async function runPod(ctx: RunContext, req: PodRequest): Promise<NodeStatus | undefined> {
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
    await execute(ctx, node, req);
    return node;
  } finally {
    releasePod();
  }
}

async function execute(ctx: RunContext, node: NodeStatus, req: PodRequest): Promise<void> {
  const pod = podName(ctx.name, node.name, req.templateName);
  const nodeDir = path.join(ctx.wfDir, 'nodes', node.id);
  const roots = ctx.sandbox === 'bwrap' ? ctx.roots : undefined;
  let paths: PodPaths;
  let fs: PodFs | undefined;
  let rewrite = (t: string) => t;
  try {
    await mkdir(nodeDir, { recursive: true });
    paths = podPaths(ctx, node, req.tmpl, nodeDir);
    if (!roots) {
      fs = await podFs(paths, path.join(nodeDir, 'root'));
      await loadInputs(ctx, req, fs);
      rewrite = makeRewriter(await rewriteMounts(fs));
    }
  } catch (err) {
    setPhase(ctx, node, 'Error', err instanceof Error ? err.message : String(err));
    return;
  }
  const body = (req.tmpl.container ?? req.tmpl.script ?? {}) as Obj;
  const command =
    Array.isArray(body.command) && body.command.length > 0 ? (body.command as unknown[]) : (knownEntrypoint(body.image) ?? []);
  const argv = [...command, ...((body.args as unknown[]) ?? [])].map((a) => rewrite(String(a)));
  let scriptFile: string | undefined;
  if (req.tmpl.script) {
    // Argo stages the source at /argo/staging/script and appends that path to the args.
    scriptFile = path.join(nodeDir, 'script');
    await writeFile(scriptFile, rewrite(String(req.tmpl.script.source ?? '')), { mode: 0o755 });
    argv.push(roots ? SCRIPT_PATH : scriptFile);
  }
  const env: Record<string, string> = {};
  for (const e of (body.env as Obj[] | undefined) ?? []) env[String(e.name)] = rewrite(String(e.value ?? ''));
  const workingDir = typeof body.workingDir === 'string' ? body.workingDir : undefined;
  let cwd = workingDir ?? '/';
  if (fs) {
    env.TMPDIR = fs.hostPath('/tmp');
    cwd = workingDir ? fs.hostPath(workingDir) : fs.root;
  }
  // A sandboxed pod takes its layer only once it has a process slot, so no more layers are in use than processes.
  const releaseProcess = await ctx.processSlots.acquire();
  let layer: { root: string; layout: SandboxLayout } | undefined;
  // The layer goes back to the pool once outputs are collected (before the node's final phase, so the next pod
  // finds it free), or in `finally` if the pod never got that far.
  const finishLayer = async () => {
    const held = layer;
    layer = undefined;
    if (held) await roots!.release(held.root, held.layout);
  };
  try {
    if (ctx.stopped) {
      setPhase(ctx, node, 'Failed', ctx.stopped.nodeMessage);
      return;
    }
    if (roots) {
      try {
        const layout = sandboxLayout(
          paths.declared,
          paths.inputs,
          paths.volumes.map((v) => v.path),
          scriptFile !== undefined,
        );
        layer = { root: await roots.acquire(layout), layout };
        fs = await podFs(paths, layer.root, true);
        await loadInputs(ctx, req, fs);
      } catch (err) {
        setPhase(ctx, node, 'Error', err instanceof Error ? err.message : String(err));
        return;
      }
    }
    const cmd = argv[0]!;
    if (!(await commandExists(cmd, env.PATH ?? process.env.PATH ?? '', layer ? fs : undefined))) {
      node.outputs = { ...node.outputs, exitCode: '127' };
      setPhase(ctx, node, 'Failed', `main: command "${cmd}" not found: exec: "${cmd}": executable file not found in $PATH`);
      return;
    }
    const file = layer ? 'bwrap' : cmd;
    const args = layer ? [...bwrapArgs(layer.root, layer.layout, fs!.volumes, scriptFile, cwd), ...argv] : argv.slice(1);
    // Checked again right before the spawn: a stop during the setup above has no process to kill yet.
    const stop = stopState(ctx);
    if (stop) {
      setPhase(ctx, node, 'Failed', stop.nodeMessage);
      return;
    }
    await runProcess(ctx, node, req, { file, args, env, cwd: layer ? '/' : cwd, fs: fs!, nodeDir, pod, releaseProcess, finishLayer });
  } finally {
    releaseProcess();
    await finishLayer();
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
  /** Hands a pooled sandbox layer back once outputs are collected. */
  finishLayer: () => Promise<void>;
}

async function runProcess(ctx: RunContext, node: NodeStatus, req: PodRequest, l: Launch): Promise<void> {
  let killedWith: string | undefined;
  const proc = ctx.spawner.spawn({
    file: l.file,
    args: l.args,
    cwd: l.cwd,
    env: l.env,
    log: path.join(l.nodeDir, 'main.log'),
    capture: req.captureResult,
  });
  const handle: Killable = {
    kill(message) {
      if (killedWith) return;
      killedWith = message;
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
    },
  };
  ctx.running.add(handle);
  const deadline = Number(req.tmpl.activeDeadlineSeconds ?? 0);
  const timer =
    deadline > 0
      ? setTimeout(() => handle.kill('Pod was active on the node longer than the specified deadline'), deadline * 1000)
      : undefined;
  await proc.started;
  if (!killedWith) setPhase(ctx, node, 'Running');
  const outcome = await proc.done;
  l.releaseProcess();
  if (timer) clearTimeout(timer);
  ctx.running.delete(handle);
  if (outcome.error && outcome.code === null && !killedWith) {
    setPhase(ctx, node, 'Error', `main: failed to start "${l.file}": ${outcome.error}`);
    return;
  }
  const exitCode = outcome.code ?? 128 + (outcome.signal ? (signalNumber(outcome.signal) ?? 9) : 9);
  node.outputs = { exitCode: String(exitCode) };
  if (req.captureResult) node.outputs.result = (outcome.result ?? '').replace(/\n$/, '');
  let failure: { phase: 'Failed' | 'Error'; message: string } | undefined;
  if (killedWith) failure = { phase: 'Failed', message: killedWith };
  else if (exitCode !== 0) failure = { phase: 'Failed', message: `main: Error (exit code ${exitCode})` };
  try {
    await collectOutputs(ctx, node, req, l.fs, l.pod);
  } catch (err) {
    failure ??= { phase: 'Error', message: (err as Error).message };
  }
  // The pod's private files are gone with the pod in Argo too; logs stay.
  await l.finishLayer();
  if (l.fs.root === path.join(l.nodeDir, 'root')) await rm(l.fs.root, { recursive: true, force: true }).catch(() => undefined);
  if (l.fs.volumes.length > 0) await rm(path.join(l.nodeDir, 'volumes'), { recursive: true, force: true }).catch(() => undefined);
  if (failure) setPhase(ctx, node, failure.phase, failure.message);
  else setPhase(ctx, node, 'Succeeded');
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
  };
  return table[signal];
}
