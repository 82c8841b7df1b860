/**
 * The pod sandbox, one strategy chosen when the engine starts (index.ts): `bubblewrap` (a pooled layer as the
 * pod's `/`, the allowlisted host view of sandbox-layout.ts, namespaces and no capabilities) or `none` (a host
 * process whose declared paths are rewritten to per-node folders). pod.ts asks the strategy, never the mode.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../execution/context.ts';
import { podFs, rewriteMounts, type PodFs, type PodPaths } from './mounts.ts';
import { makeRewriter } from './sandbox-paths.ts';
import { podView } from './host-view.ts';
import { bwrapArgs, onTmpfs, sandboxLayout, SCRIPT_PATH, tmpfsRootArgs, type Confinement, type SandboxLayout } from './sandbox-layout.ts';
import type { RootPool } from './sandbox-roots.ts';
import { loadInputs } from './inputs.ts';
import type { PodRequest } from './pod.ts';
import { egressGate } from './network.ts';
import { hostProgram } from './programs.ts';

/** bubblewrap's `--info-fd`: past 0-2 and the egress gate's 3 and 4 (pods/network.ts). */
const INFO_FD = 5;

/** One pod's files and how its process is started, as its sandbox sees them. */
export interface PodSandbox {
  /** Rewrites declared paths in command, args, env and script (identity in bubblewrap). */
  rewrite(text: string): string;
  /** The argument naming the staged script (`/argo/staging/script`, or its host file). */
  scriptArg(hostFile: string): string;
  /** Sets what the environment needs of the layer; returns the process's working folder. */
  place(env: Record<string, string>, workingDir: string | undefined): string;
  /** With a process slot held: the pod's files ready and its inputs loaded. */
  attach(): Promise<PodFs>;
  /** Whether `cmd` is looked up in the pod's layer too (a program an input artifact brings). */
  readonly layerCommands: boolean;
  /** Whether output paths may name host files (like /etc/os-release) when the pod's tree lacks them. */
  readonly hostOutputs: boolean;
  /** The process the launcher starts: `argv` inside the sandbox (behind the egress gate run by `unshare`). */
  command(argv: string[], o: { scriptFile?: string; cwd: string; confinement: Confinement; unshare?: string }): string[];
  /** Whether the command is gated on an outbound network (pods/network.ts). */
  egress(network: Confinement['network']): boolean;
  /** The launcher's working folder for the process. */
  spawnCwd(cwd: string): string;
  /** The descriptor bubblewrap names its sandbox's first process on (the launcher's kill needs it; spawner.ts). */
  readonly infoFd?: number;
  /** Hands the pod's layer back once outputs are collected (idempotent). */
  release(): Promise<void>;
  /** Removes the pod's private files once it is done (logs stay). */
  cleanup(): Promise<void>;
}

export interface SandboxStrategy {
  readonly kind: 'bwrap' | 'none';
  /** Prepares what the pod needs before a process slot (without a sandbox: its files and inputs). */
  pod(ctx: RunContext, req: PodRequest, paths: PodPaths, nodeDir: string): Promise<PodSandbox>;
}

/** Pods as host processes with their declared paths rewritten to `<nodeDir>/root`. */
export const hostProcesses: SandboxStrategy = {
  kind: 'none',
  async pod(ctx, req, paths, nodeDir) {
    const fs = await podFs(paths, path.join(nodeDir, 'root'));
    await loadInputs(ctx, req, fs);
    const rewrite = makeRewriter(await rewriteMounts(fs));
    return {
      rewrite,
      scriptArg: (file) => file,
      place(env, workingDir) {
        env.TMPDIR = fs.hostPath('/tmp');
        env.HOME = env.TMPDIR;
        return workingDir ? fs.hostPath(workingDir) : fs.root;
      },
      attach: async () => fs,
      layerCommands: false,
      hostOutputs: true,
      command: (argv) => argv,
      egress: () => false,
      spawnCwd: (cwd) => cwd,
      release: async () => undefined,
      async cleanup() {
        await rm(fs.root, { recursive: true, force: true }).catch(() => undefined);
        if (fs.volumes.length > 0) await rm(path.join(nodeDir, 'volumes'), { recursive: true, force: true }).catch(() => undefined);
      },
    };
  },
};

/** Pods in bubblewrap on layers from `roots`. */
export function bubblewrap(roots: RootPool): SandboxStrategy {
  return {
    kind: 'bwrap',
    async pod(ctx, req, paths, nodeDir) {
      let layer: { root?: string; layout: SandboxLayout } | undefined;
      let fs: PodFs | undefined;
      const release = async () => {
        const held = layer;
        layer = undefined;
        if (held?.root) await roots.release(held.root, held.layout);
      };
      return {
        rewrite: (text) => text,
        scriptArg: () => SCRIPT_PATH,
        place: (_env, workingDir) => workingDir ?? '/',
        async attach() {
          // A layer is taken only with a process slot held, so no more layers are in use than processes.
          const layout = sandboxLayout(
            paths.declared,
            paths.inputs,
            paths.volumes.map((v) => v.path),
            req.tmpl.script !== undefined,
          );
          // A pod with nothing the engine writes or reads in its files gets a fresh tmpfs as its `/` instead.
          const noLayer = paths.declared.length === 0 && paths.inputs.length === 0 && paths.volumes.length === 0 && onTmpfs(layout);
          if (noLayer) await roots.ready();
          layer = { root: noLayer ? undefined : await roots.acquire(layout), layout };
          const own = await podFs(paths, layer.root ?? path.join(nodeDir, 'no-layer'), true);
          // The engine writes and reads a pod path where the pod finds it (`/bin/foo` in the layer's /usr/bin).
          fs = { ...own, hostPath: (p) => own.hostPath(podView(p)) };
          await loadInputs(ctx, req, fs);
          return fs;
        },
        layerCommands: true,
        hostOutputs: false,
        command(argv, o) {
          const confinement = { ...o.confinement, placeholders: roots.placeholders, etc: roots.etc.dir() };
          const { root, layout } = layer!;
          const args = root
            ? bwrapArgs(root, layout, fs!.volumes, o.scriptFile, o.cwd, confinement)
            : tmpfsRootArgs(layout, o.cwd, confinement);
          const gate = o.confinement.network === 'egress' && o.unshare ? egressGate(o.unshare) : [];
          return [...gate, hostProgram('bwrap'), '--info-fd', String(INFO_FD), ...args, ...argv];
        },
        egress: (network) => network === 'egress',
        spawnCwd: () => '/',
        infoFd: INFO_FD,
        release,
        async cleanup() {
          await release();
          if (fs && fs.volumes.length > 0) await rm(path.join(nodeDir, 'volumes'), { recursive: true, force: true }).catch(() => undefined);
        },
      };
    },
  };
}
