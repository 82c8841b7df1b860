/**
 * From a pod's process slot to its launch: the checks before the spawn (its files, its programs, its network,
 * its cgroups, its init containers, a stop meanwhile) and the command every container of the pod starts with
 * (`wrapFor`: cgroup join and limits, the pod network, bubblewrap over the same layer and volumes).
 */
import type { NodeStatus } from '../../types.ts';
import { stopState, type Obj, type RunContext } from '../execution/context.ts';
import type { PodFs } from './mounts.ts';
import type { PodSandbox } from './sandbox.ts';
import type { Confinement } from './sandbox-layout.ts';
import type { SpawnRequest } from './spawner.ts';
import type { NodeCgroup } from './cgroups.ts';
import { stepPrefix } from './limits.ts';
import { BLOCKED_RANGES, type NetworkTools } from './network.ts';
import { podNetworkPrefix } from './pod-network.ts';
import { initContainers, missingProgram, type PodLauncher } from './containers.ts';
import { commandExists, DEFAULT_PATH, podEnvironment } from './pod-command.ts';
import type { PodRequest } from './pod.ts';

/** What the pod runs, decided before its process slot (pod.ts). */
export interface PodPlan {
  pod: string;
  nodeDir: string;
  sandbox: PodSandbox;
  argv: string[];
  /** The staged script of a `script` template (its host file). */
  scriptFile?: string;
  env: Record<string, string>;
  cwd: string;
  network: Confinement['network'];
}

/** Everything runProcess needs to start main and the pod's other containers. */
export interface Launch {
  file: string;
  args: string[];
  infoFd?: number;
  env: Record<string, string>;
  cwd: string;
  fs: PodFs;
  nodeDir: string;
  pod: string;
  /** Hands the pod's layer back once outputs are collected, and removes its private files. */
  sandbox: PodSandbox;
  /** The node's control groups: they say which limit the step hit and are emptied when its process ends. */
  cgroup?: NodeCgroup;
  /** Outbound network through the gate (pods/network.ts). */
  egress?: SpawnRequest['egress'];
  /** Starts the pod's other containers and probes (pods/containers.ts). */
  launcher: PodLauncher;
}

/** Why the pod ends before its process starts. */
interface Refusal {
  phase: 'Failed' | 'Error';
  message: string;
  exitCode?: string;
}

/** A setup failure as the node shows it: never a host path of the data folder. */
export function setupMessage(ctx: RunContext, err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split(ctx.dataDir).join('<data folder>');
}

/** The pod's network as its processes get it. */
interface PodNet {
  /** The prefix entering the workflow's shared pod network (pods/pod-network.ts). */
  shared?: string[];
  /** Main waits at the egress gate. */
  egress: boolean;
  tools?: NetworkTools;
}

/** The pod's files attached, its command found, its network ready; or why not. */
async function attachPod(ctx: RunContext, plan: PodPlan): Promise<{ fs: PodFs; net: PodNet } | Refusal> {
  const { sandbox } = plan;
  let fs: PodFs;
  try {
    fs = await sandbox.attach();
  } catch (err) {
    return { phase: 'Error', message: setupMessage(ctx, err) };
  }
  const cmd = plan.argv[0]!;
  if (!(await commandExists(cmd, plan.env.PATH ?? DEFAULT_PATH, sandbox.layerCommands ? fs : undefined)))
    return {
      phase: 'Failed',
      message: `main: command "${cmd}" not found: exec: "${cmd}": executable file not found in $PATH`,
      exitCode: '127',
    };
  const egress = sandbox.egress(plan.network);
  const tools = ctx.host.networkTools;
  if (egress && !tools)
    return { phase: 'Failed', message: `main: the step needs network: ${ctx.host.egressProblem ?? 'no network programs'}` };
  // A workflow with daemons or sidecars: its sandboxed pods share one network (pods/pod-network.ts).
  try {
    const shared = ctx.sandbox.kind === 'bwrap' && plan.network === 'none' ? await podNetworkPrefix(ctx) : undefined;
    return { fs, net: { shared, egress, tools } };
  } catch (err) {
    return { phase: 'Error', message: (err as Error).message };
  }
}

/**
 * The command of a process of the pod: the step's prefix (cgroup join and limits: pods/limits.ts) execs the rest,
 * so the limits hold for the sandbox and everything started in it. The same for every container of the pod
 * (pods/containers.ts); only main passes the egress gate (the others of an egress pod get no network).
 */
function wrapper(ctx: RunContext, plan: PodPlan, net: PodNet, cgroup: NodeCgroup | undefined) {
  const { sandbox, network } = plan;
  const confinement = { network, tmpBytes: ctx.limits.tmpMb * 1024 * 1024, resolvConf: ctx.host.resolvConf } as const;
  const prefix = stepPrefix(ctx.limits, cgroup?.procsFiles);
  return (cmdArgv: string[], wd: string, isMain: boolean) => {
    const inner = [
      ...(net.shared ?? []),
      ...sandbox.command(cmdArgv, {
        scriptFile: isMain ? plan.scriptFile : undefined,
        cwd: wd,
        confinement: { ...confinement, network: net.shared ? 'egress' : net.egress && !isMain ? 'none' : network },
        unshare: isMain && !net.shared ? net.tools?.unshare : undefined,
      }),
    ];
    const [file, ...args] = [...prefix, ...inner] as [string, ...string[]];
    return { file, args, cwd: sandbox.spawnCwd(wd), infoFd: sandbox.infoFd };
  };
}

/**
 * With the process slot held: the pod ready to start (its cgroups set in `held` as soon as they exist, so the
 * caller removes them), or why it ends before. Checked for a stop last, right before the spawn: a stop during
 * the setup has no process to kill yet.
 */
export async function prepareLaunch(
  ctx: RunContext,
  node: NodeStatus,
  req: PodRequest,
  plan: PodPlan,
  held: { cgroup?: NodeCgroup },
): Promise<Launch | Refusal> {
  if (ctx.stopped) return { phase: 'Failed', message: ctx.stopped.nodeMessage };
  const attached = await attachPod(ctx, plan);
  if ('phase' in attached) return attached;
  const { fs, net } = attached;
  try {
    held.cgroup = await ctx.host.cgroups?.node(node.id, ctx.limits.processes, ctx.limits.memoryMb);
  } catch (err) {
    return { phase: 'Error', message: `cannot create the step's cgroup: ${(err as NodeJS.ErrnoException).code ?? 'failed'}` };
  }
  const wrapFor = wrapper(ctx, plan, net, held.cgroup);
  const { sandbox } = plan;
  const launcher: PodLauncher = {
    wrap: (a, wd) => wrapFor(a, sandbox.place({}, wd), false),
    env: (name: string, body: Obj) => podEnvironment(sandbox, { pod: plan.pod, nodeId: node.id }, name, body),
    rewrite: sandbox.rewrite,
    nodeDir: plan.nodeDir,
    netPrefix: net.shared,
  };
  const exists = (prog: string) => commandExists(prog, plan.env.PATH ?? DEFAULT_PATH, sandbox.layerCommands ? fs : undefined);
  const missing = await missingProgram(req.tmpl, exists);
  if (missing) return { phase: 'Failed', message: missing };
  const initFailure = await initContainers(ctx, req.tmpl, launcher);
  if (initFailure) return { phase: 'Failed', message: initFailure };
  const stop = stopState(ctx);
  if (stop) return { phase: 'Failed', message: stop.nodeMessage };
  const { file, args, infoFd } = wrapFor(plan.argv, plan.cwd, true);
  const egress = net.egress && net.tools ? { blocked: BLOCKED_RANGES, tools: net.tools } : undefined;
  const { env, cwd, nodeDir, pod } = plan;
  return { file, args, infoFd, env, cwd: sandbox.spawnCwd(cwd), launcher, fs, nodeDir, pod, sandbox, cgroup: held.cgroup, egress };
}
