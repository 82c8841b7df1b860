/**
 * Per-step limits of the local engine (DESIGN §9), set on the sandbox's first process (`stepPrefix`) or as
 * its cgroups' limits, so they hold for everything the step starts. A limit a step hits fails its node with a message that
 * names the limit and the variable that sets it.
 */
import { existsSync } from 'node:fs';
import { hostProgram } from './programs.ts';

export interface StepLimits {
  /** Tasks of a step at once: its cgroup's pids.max; without cgroups RLIMIT_NPROC (per uid; not binding root). */
  processes: number;
  /** Memory of a step in MiB: its cgroup's memory limit; without cgroups RLIMIT_AS of each process. */
  memoryMb: number;
  /** RLIMIT_FSIZE in MiB: the largest file a step may write. */
  fileMb: number;
  /** RLIMIT_CPU in seconds of CPU time per process. */
  cpuSeconds: number;
  /** Size of the private tmpfs /tmp in MiB. */
  tmpMb: number;
  /** Bytes of stdout+stderr kept per node, in MiB; the rest is dropped after a marker line. */
  logMb: number;
  /** Size of one output artifact in MiB. */
  outputMb: number;
  /** `none`: steps have no network; `egress`: every step gets outbound access (pods/network.ts, README). */
  network: 'none' | 'egress';
}

export const DEFAULT_LIMITS: StepLimits = {
  processes: 256,
  memoryMb: 2048,
  fileMb: 1024,
  cpuSeconds: 3600,
  tmpMb: 256,
  logMb: 16,
  outputMb: 2048,
  network: 'none',
};

/** The environment variable of each limit (loadConfig reads them; messages name them). */
const LIMIT_VARIABLES: Record<Exclude<keyof StepLimits, 'network'>, string> = {
  processes: 'OGDC_LOCAL_STEP_PROCESSES',
  memoryMb: 'OGDC_LOCAL_STEP_MEMORY_MB',
  fileMb: 'OGDC_LOCAL_STEP_FILE_MB',
  cpuSeconds: 'OGDC_LOCAL_STEP_CPU_SECONDS',
  tmpMb: 'OGDC_LOCAL_STEP_TMP_MB',
  logMb: 'OGDC_LOCAL_STEP_LOG_MB',
  outputMb: 'OGDC_LOCAL_STEP_OUTPUT_MB',
};

const MB = 1024 * 1024;

/** "exceeded OGDC_LOCAL_STEP_MEMORY_MB (2048)". */
export function exceeded(limits: StepLimits, which: Exclude<keyof StepLimits, 'network'>): string {
  return `exceeded ${LIMIT_VARIABLES[which]} (${limits[which]})`;
}

/**
 * The command prefix every process of a step starts with: one shell (by absolute path, see programs.ts) that
 * writes itself into each of the node's `cgroup.procs` files (0 = the writer), sets the step's resource limits
 * and execs the rest, so the groups count and the limits hold for everything the step starts. CPU time: the soft
 * limit first (SIGXCPU), the hard one a few seconds later. With per-node control groups (pods/cgroups.ts) those
 * bound processes and memory, so RLIMIT_NPROC and RLIMIT_AS are left out. The limits are set by dash's `ulimit`
 * (`-f` in 512-byte blocks, `-v` in KiB, `-p` processes): one exec less per process than prlimit(1), which is
 * used where dash is missing (other shells name the process limit differently).
 */
export function stepPrefix(limits: StepLimits, procsFiles: string[] | undefined): string[] {
  const int = (n: number) => String(Math.max(0, Math.floor(n)));
  const join = 'while [ "$1" != -- ]; do echo 0 > "$1" || exit 125; shift; done; shift;';
  const files = [...(procsFiles ?? []), '--'];
  const dash = hostProgram('dash');
  if (!existsSync(dash)) {
    const prlimit = [
      ...(procsFiles ? [] : [`--nproc=${int(limits.processes)}`, `--as=${int(limits.memoryMb * MB)}`]),
      `--fsize=${int(limits.fileMb * MB)}`,
      `--cpu=${int(limits.cpuSeconds)}:${int(limits.cpuSeconds + 5)}`,
      '--core=0',
    ];
    return [hostProgram('sh'), '-c', `${join} exec "$@"`, 'ogdc-step', ...files, hostProgram('prlimit'), ...prlimit, '--'];
  }
  const ulimits = [
    ...(procsFiles ? [] : [`-p ${int(limits.processes)}`, `-v ${int(limits.memoryMb * 1024)}`]),
    `-f ${int((limits.fileMb * MB) / 512)}`,
    `-S -t ${int(limits.cpuSeconds)}`,
    `-H -t ${int(limits.cpuSeconds + 5)}`,
    '-c 0',
  ];
  const script = `${join} ${ulimits.map((u) => `ulimit ${u}`).join(' && ')} || exit 125; exec "$@"`;
  return [dash, '-c', script, 'ogdc-step', ...files];
}

/** Signals a limit sends (bubblewrap exits 128 + the signal of its child). */
const SIGXCPU = 24;
const SIGXFSZ = 25;

/**
 * Which limit a failed step most likely hit: from its exit code (CPU time, file size) or, for memory and
 * processes, whose failures a program reports itself, from the end of its log.
 */
export function limitHit(limits: StepLimits, exitCode: number, logTail: string): string | undefined {
  if (exitCode === 128 + SIGXCPU) return exceeded(limits, 'cpuSeconds');
  if (exitCode === 128 + SIGXFSZ || /File size limit exceeded/i.test(logTail)) return exceeded(limits, 'fileMb');
  if (/Cannot allocate memory|MemoryError|out of memory|std::bad_alloc|memory exhausted/i.test(logTail))
    return exceeded(limits, 'memoryMb');
  if (/Resource temporarily unavailable|fork: retry|can't fork|Cannot fork/i.test(logTail)) return exceeded(limits, 'processes');
  if (/No space left on device/i.test(logTail)) return exceeded(limits, 'tmpMb');
  return undefined;
}
