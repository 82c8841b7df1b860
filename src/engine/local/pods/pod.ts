/**
 * Runs one container/script node as a host process (SEMANTICS §1, §9): the Pod node, its slot and locks, its
 * sandbox and command (here), its launch (pod-launch.ts), its process to its phase (pod-process.ts) and its
 * outputs (pod-outputs.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import { createNode, setPhase, stopState, type ArtifactRef, type Obj, type RunContext, type Template } from '../execution/context.ts';
import type { RemoteSource } from '../execution/remote-artifacts.ts';
import { podPaths } from './mounts.ts';
import { holdLocks } from '../execution/sync.ts';
import { podName } from '../state/names.ts';
import type { PodSandbox } from './sandbox.ts';
import { runDaemonPod } from '../execution/daemons.ts';
import { argvOf } from './containers.ts';
import { podEnvironment } from './pod-command.ts';
import { prepareLaunch, setupMessage, type PodPlan } from './pod-launch.ts';
import { runProcess } from './pod-process.ts';
import type { NodeCgroup } from './cgroups.ts';

/** The template annotation that gives a step network access (the translator puts it on the fetch step). */
const NETWORK_ANNOTATION = 'ogdc.dataone.org/network';

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

/** The pod's sandbox (before a process slot: without a sandbox its files and inputs), or undefined: the node failed. */
async function podSandbox(ctx: RunContext, node: NodeStatus, req: PodRequest, nodeDir: string): Promise<PodSandbox | undefined> {
  try {
    await mkdir(nodeDir, { recursive: true });
    const paths = podPaths(ctx, node, req.tmpl, nodeDir);
    // An exec readiness probe runs as its own sandbox: it sees main's /tmp only in the layer (no tmpfs).
    const probe = (req.tmpl.container as Obj | undefined)?.readinessProbe as Obj | undefined;
    if (req.tmpl.daemon === true && probe?.exec !== undefined) paths.declared = [...paths.declared, '/tmp'];
    return await ctx.sandbox.pod(ctx, req, paths, nodeDir);
  } catch (err) {
    setPhase(ctx, node, 'Error', setupMessage(ctx, err));
    return undefined;
  }
}

/** What the pod runs: its command line (the script staged), environment, working folder and network. */
async function planPod(ctx: RunContext, node: NodeStatus, req: PodRequest, sandbox: PodSandbox, nodeDir: string): Promise<PodPlan> {
  const pod = podName(ctx.name, node.name, req.templateName);
  const body = (req.tmpl.container ?? req.tmpl.script ?? {}) as Obj;
  const argv = argvOf(body, sandbox.rewrite);
  let scriptFile: string | undefined;
  if (req.tmpl.script) {
    // Argo stages the source at /argo/staging/script and appends that path to the args.
    scriptFile = path.join(nodeDir, 'script');
    await writeFile(scriptFile, sandbox.rewrite(String(req.tmpl.script.source ?? '')), { mode: 0o755 });
    argv.push(sandbox.scriptArg(scriptFile));
  }
  const env = podEnvironment(sandbox, { pod, nodeId: node.id }, 'main', body);
  const cwd = sandbox.place({}, typeof body.workingDir === 'string' ? body.workingDir : undefined);
  const annotations = ((req.tmpl.metadata as Obj | undefined)?.annotations ?? {}) as Obj;
  // The fetch step (annotated) gets outbound access, or with private sources allowed the host's network (the
  // demo's loopback data server); other steps get outbound access only with OGDC_LOCAL_STEP_NETWORK=egress.
  const annotated = annotations[NETWORK_ANNOTATION] === 'egress';
  const network = annotated && ctx.fetchHostNetwork ? 'host' : annotated || ctx.limits.network === 'egress' ? 'egress' : 'none';
  return { pod, nodeDir, sandbox, argv, scriptFile, env, cwd, network };
}

async function execute(ctx: RunContext, node: NodeStatus, req: PodRequest): Promise<void> {
  const nodeDir = path.join(ctx.wfDir, 'nodes', node.id);
  const sandbox = await podSandbox(ctx, node, req, nodeDir);
  if (!sandbox) return;
  const plan = await planPod(ctx, node, req, sandbox, nodeDir);
  // Shared fairly between the users whose runs wait (the service labels each run with its submitter).
  const releaseProcess = await ctx.processSlots.acquire(ctx.wf.metadata.labels?.['ogdc/submitter'] ?? '');
  const held: { cgroup?: NodeCgroup } = {};
  try {
    const launch = await prepareLaunch(ctx, node, req, plan, held);
    if ('phase' in launch) {
      if (launch.exitCode) node.outputs = { ...node.outputs, exitCode: launch.exitCode };
      setPhase(ctx, node, launch.phase, launch.message);
      return;
    }
    await runProcess(ctx, node, req, launch, releaseProcess);
  } finally {
    releaseProcess();
    await held.cgroup
      ?.remove()
      .catch((err: unknown) => ctx.log(`local engine: removing the cgroup of ${node.id} failed: ${(err as Error).message}`));
    await sandbox.release();
  }
}
