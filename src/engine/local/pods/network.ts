/**
 * Outbound network for a sandboxed pod (DESIGN §9): its own network namespace, created by `unshare` in a user
 * namespace of the service's own uid, given a user-mode network stack by slirp4netns with the host's loopback
 * disabled, and `unreachable` routes for private and link-local ranges. The pod's process waits at a gate until
 * that is in place (pods/spawner-process.mjs opens it), so its first packet already sees the final routes. No
 * privilege is needed: the service's uid owns the namespaces. The programs are found once, at start, on the
 * engine's tool path (`networkToolsPath`, default the service's PATH) and run by their absolute paths, so what
 * the start-up check approved is what every step runs.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { hostProgram } from './programs.ts';

/** Ranges a pod with egress cannot reach (its own 127/8 is its namespace's loopback; slirp gives it no IPv6). */
export const BLOCKED_RANGES = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16'];

/** The resolver slirp4netns answers at inside the pod (it forwards to the host's). */
export const SLIRP_DNS = '10.0.2.3';

/** The absolute paths of the programs a step with network needs. */
export interface NetworkTools {
  slirp4netns: string;
  unshare: string;
  nsenter: string;
  ip: string;
}

/**
 * The command that puts what follows in a new user and network namespace and waits there: it writes one line
 * to descriptor 3 once inside, reads one from descriptor 4 (the spawner writes it when the network is up) and
 * execs the rest with neither descriptor open.
 */
export const egressGate = (unshare: string): string[] => [
  unshare,
  '--user',
  '--map-root-user',
  '--net',
  '--',
  hostProgram('sh'),
  '-c',
  'echo ready >&3; exec 3>&-; read go <&4 || exit 125; exec 4<&-; exec "$@"',
  'ogdc-network-gate',
];

function probe(file: string, args: string[], searchPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'ignore', env: { PATH: searchPath } });
    child.on('error', (err) => resolve(err.message));
    child.on('exit', (code) => resolve(code === 0 ? undefined : `exit code ${code}`));
  });
}

/** The first executable `name` on `searchPath`, or undefined. */
async function locate(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(':').filter((d) => path.isAbsolute(d))) {
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      if ((await stat(file)).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The network programs found on `searchPath` (the service's PATH by default) and working, or why pods cannot
 * get egress here (a program missing or failing).
 */
export async function networkTools(searchPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): Promise<NetworkTools | string> {
  const found: Partial<NetworkTools> = {};
  const tools: Array<[keyof NetworkTools, string[], string]> = [
    ['slirp4netns', ['--version'], 'slirp4netns'],
    // Inside the namespaces it runs itself again (`--version`): nothing else needs to be on the tool path.
    ['unshare', ['--user', '--map-root-user', '--net', '--'], 'util-linux (unshare) and unprivileged user namespaces'],
    ['nsenter', ['--version'], 'util-linux (nsenter)'],
    ['ip', ['-V'], 'iproute2 (ip)'],
  ];
  for (const [file, args, pkg] of tools) {
    const where = await locate(file, searchPath);
    const probeArgs = file === 'unshare' && where ? [...args, where, '--version'] : args;
    const why = where ? await probe(where, probeArgs, searchPath) : `spawn ${file} ENOENT`;
    if (why)
      return `steps with network need ${pkg}: ${file} failed (${why}); install it (Debian: apt-get install slirp4netns iproute2 util-linux)`;
    found[file] = where;
  }
  return found as NetworkTools;
}
