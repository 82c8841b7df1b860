/**
 * The local engine's start-up: the sandbox it can use here, what the machine offers pods (cgroups, network tools),
 * the per-step limits, and the sandbox layer pool. The independent checks run at once; warnings are logged in a
 * fixed order.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SandboxUnavailableError } from './errors.ts';
import { Cgroups } from './pods/cgroups.ts';
import type { PodHost } from './pods/host.ts';
import { DEFAULT_LIMITS, type StepLimits } from './pods/limits.ts';
import { networkTools, SLIRP_DNS } from './pods/network.ts';
import { bwrapProblem } from './pods/sandbox-paths.ts';
import { removeTree, RootPool } from './pods/sandbox-roots.ts';
import { bubblewrap, hostProcesses, type SandboxStrategy } from './pods/sandbox.ts';

interface HostOptions {
  dataDir: string;
  sandbox: 'auto' | 'bwrap' | 'none';
  limits?: Partial<StepLimits>;
  networkToolsPath?: string;
  log: (msg: string) => void;
}

/** What the engine's pods run with, fixed at start. */
export interface PreparedHost {
  strategy: SandboxStrategy;
  host: PodHost;
  limits: StepLimits;
  roots: RootPool;
}

const NO_SANDBOX_WARNING =
  "local engine: WARNING: no sandbox (bubblewrap unavailable or disabled): steps run as host processes with the service's rights and can read its files; declared paths such as /input_dir are rewritten to per-node folders in commands, args and env";

const NO_CGROUPS_WARNING = (why: string) =>
  `local engine: WARNING: no cgroups for steps (${why}); OGDC_LOCAL_STEP_PROCESSES and OGDC_LOCAL_STEP_MEMORY_MB fall back to per-process limits (RLIMIT_NPROC, RLIMIT_AS), and RLIMIT_NPROC does not bind a service running as root`;

/** Removes the sandbox layers of engines whose process is gone (each pool folder is named `<pid>-<random>`). */
async function removeDeadPools(dir: string): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const entries = await readdir(dir).catch(() => []);
  await Promise.all(
    entries.map(async (entry) => {
      const pid = Number(entry.split('-')[0]);
      // A layer a pod made unreadable (chmod 000) is opened again by removeTree.
      if (!Number.isInteger(pid) || !alive(pid)) await removeTree(path.join(dir, entry)).catch(() => undefined);
    }),
  );
}

/** `bwrap` when bubblewrap works here (or is demanded: else SandboxUnavailableError), `none` otherwise. */
async function chooseSandbox(wanted: HostOptions['sandbox'], log: (msg: string) => void): Promise<'bwrap' | 'none'> {
  if (wanted === 'none') return 'none';
  const problem = await bwrapProblem();
  if (!problem) return 'bwrap';
  if (wanted === 'bwrap') throw new SandboxUnavailableError(problem);
  log(`local engine: ${problem}`);
  return 'none';
}

/** Cgroups, network tools and the pods' resolv.conf, found at once; warns about what is missing. */
async function bubblewrapHost(options: HostOptions, limits: StepLimits): Promise<PodHost> {
  const host: PodHost = { resolvConf: path.join(options.dataDir, 'sandbox-resolv.conf') };
  const [cgroups, tools] = await Promise.all([
    Cgroups.create(),
    networkTools(options.networkToolsPath),
    // Beside the layer pools (whose folder holds only layers), written at every start: its content never changes.
    writeFile(host.resolvConf!, `nameserver ${SLIRP_DNS}\n`, { mode: 0o644 }),
  ]);
  if (typeof cgroups === 'string') options.log(NO_CGROUPS_WARNING(cgroups));
  else host.cgroups = cgroups;
  if (typeof tools === 'string') host.egressProblem = tools;
  else host.networkTools = tools;
  if (host.egressProblem) {
    const egress = limits.network === 'egress';
    options.log(
      `local engine: ${egress ? 'WARNING: ' : ''}steps with network (the fetch step${egress ? ', OGDC_LOCAL_STEP_NETWORK=egress' : ''}) will fail: ${host.egressProblem}`,
    );
  }
  return host;
}

/** Runs the start-up checks and prepares the folders the pods need under `dataDir`. */
export async function prepareHost(options: HostOptions): Promise<PreparedHost> {
  const { dataDir, log } = options;
  const [sandbox] = await Promise.all([
    chooseSandbox(options.sandbox, log),
    mkdir(path.join(dataDir, 'artifacts'), { recursive: true }),
    removeDeadPools(path.join(dataDir, 'sandbox')),
    removeDeadPools(path.join(dataDir, 'sandbox-aside')),
  ]);
  if (sandbox === 'none') log(NO_SANDBOX_WARNING);
  const limits: StepLimits = {
    ...DEFAULT_LIMITS,
    ...Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined)),
  };
  const poolName = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const roots = new RootPool(path.join(dataDir, 'sandbox', poolName), path.join(dataDir, 'sandbox-aside', poolName));
  if (sandbox === 'none') return { strategy: hostProcesses, host: {}, limits, roots };
  return { strategy: bubblewrap(roots), host: await bubblewrapHost(options, limits), limits, roots };
}
