/** What the machine offers pods beyond bubblewrap, found once when the engine starts. */
import type { Cgroups } from './cgroups.ts';
import type { NetworkTools } from './network.ts';

export interface PodHost {
  /** Per-node control groups for the process and memory limits; undefined: per-process resource limits (RLIMIT_NPROC, RLIMIT_AS). */
  cgroups?: Cgroups;
  /** Why pods cannot get outbound network here (pods/network.ts); undefined when they can. */
  egressProblem?: string;
  /** The network programs the start-up check found (on `networkToolsPath`), run by these paths at step time. */
  networkTools?: NetworkTools;
  /** The resolv.conf pods with outbound network see. */
  resolvConf?: string;
}
