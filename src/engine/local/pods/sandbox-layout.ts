/**
 * The bubblewrap view of a pod: the pod's own writable layer as `/`, the host's system folders read-only from an
 * allowlist (`/usr`, `/bin`, `/sbin`, `/lib*`, `/opt`, `/etc` without its secrets), a private /tmp, a minimal
 * /dev, its own /proc, and its declared paths. Nothing else of the host (the data folder, `/home`, `/root`,
 * `/var`, `/run`, `/srv`, `/work`, the checkout) exists in it. Mounts are what a sandbox costs (bubblewrap
 * re-reads the mount table for each), so allowed folders are bound whole and only those that must gain entries
 * (or hide some) are rebuilt in the layer, their host entries bound one by one.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { Mount } from './sandbox-paths.ts';

/** What a pod's layer holds at a path before the pod runs (see sandbox-roots.ts). */
export type LayerEntry =
  | { kind: 'dir'; mode?: number }
  | { kind: 'symlink'; target: string }
  /** A mount point: bubblewrap binds something over it, so the pod never writes into it. */
  | { kind: 'mount'; dir: boolean };

interface LayoutMount {
  flag: '--bind' | '--ro-bind' | '--dev' | '--proc' | '--tmpfs';
  dest: string;
  /** The source is the layer's folder at `dest`, else the host's `dest`. */
  fromLayer?: boolean;
}

/**
 * The shape of a pod's sandbox, the same for every pod declaring the same paths: the layer's entries and the
 * mounts. Per-pod sources (the layer, volume folders, the script) are filled in by `bwrapArgs`.
 */
export interface SandboxLayout {
  /** Whether the layer is the pod's `/` (some declared path needs an entry the host's `/` lacks). */
  rootIsLayer: boolean;
  /** Pod path → entry, parents before children. */
  entries: Map<string, LayerEntry>;
  mounts: LayoutMount[];
  /** Equal keys ⇒ interchangeable layers. */
  key: string;
}

export const SCRIPT_PATH = '/argo/staging/script';

/** Pod paths under these never open host folders: the pod gets its own. */
const OWN = ['/tmp', '/dev', '/proc'];

/** The host's top-level entries a pod sees (read-only); everything else at `/` is the pod's own. */
const ALLOWED_TOP = new Set(['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'opt', 'etc']);

/** Host folders always rebuilt entry by entry, so that what `hiddenEntry` names stays out. */
const ALWAYS_REBUILT = ['/', '/etc', '/etc/ssl'];

/** Entries of /etc that hold secrets (password hashes, host keys, private keys, credentials). */
const ETC_SECRETS = new Set([
  'shadow',
  'shadow-',
  'gshadow',
  'gshadow-',
  'ssh',
  'sudoers',
  'sudoers.d',
  'security',
  'krb5.keytab',
  'credstore',
  'credstore.encrypted',
  'wireguard',
  'ipsec.secrets',
  'ppp',
  'letsencrypt',
  'NetworkManager',
  'machine-id',
  'ogdc-runner',
]);

/**
 * Whether a host entry in a rebuilt folder stays out of every pod: anything at `/` outside the allowlist, named
 * secrets of /etc and /etc/ssl/private, and in /etc whatever is not world-readable (the pod's uid maps to the
 * service's uid on the host, so owner-only files would otherwise be readable).
 */
function hiddenEntry(dir: string, name: string): boolean {
  if (dir === '/') return !ALLOWED_TOP.has(name);
  if (dir === '/etc') {
    if (ETC_SECRETS.has(name)) return true;
    try {
      return (lstatSync(path.posix.join(dir, name)).mode & 0o004) === 0;
    } catch {
      return true;
    }
  }
  return dir === '/etc/ssl' && name === 'private';
}

/** Layouts are computed from the host's folders; reused for a moment so a fan-out does not re-read them per pod. */
const MEMO_MS = 1000;
const memo = new Map<string, { at: number; layout: SandboxLayout }>();

function addEntry(entries: Map<string, LayerEntry>, p: string, entry: LayerEntry): void {
  const parent = path.posix.dirname(p);
  if (parent !== '/' && !entries.has(parent)) addEntry(entries, parent, { kind: 'dir' });
  if (!entries.has(p) || entry.kind === 'mount') entries.set(p, entry);
}

type HostKind = 'dir' | 'symlink' | 'other' | 'missing';

function hostKind(p: string): HostKind {
  try {
    const st = lstatSync(p);
    return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

function isEmptyDir(p: string): boolean {
  try {
    return readdirSync(p).length === 0;
  } catch {
    return false;
  }
}

function computeLayout(declared: string[], hidden: string[], volumePaths: string[], script: boolean): SandboxLayout {
  const own = (p: string) => OWN.some((o) => p === o || p.startsWith(`${o}/`));
  const hiddenSet = new Set(hidden);
  const open = new Set<string>(['/']);
  // A host folder is rebuilt when a pod path needs an entry in it that the host lacks or must hide.
  const rebuilt = new Set<string>(ALWAYS_REBUILT.filter((d) => hostKind(d) === 'dir'));
  for (const p of [...declared, ...volumePaths, ...hidden, ...(script ? [SCRIPT_PATH] : [])]) {
    if (own(p)) continue;
    for (let child = p; child !== '/'; child = path.posix.dirname(child)) {
      const parent = path.posix.dirname(child);
      open.add(parent);
      if ((hiddenSet.has(child) || hostKind(child) === 'missing') && hostKind(parent) === 'dir') rebuilt.add(parent);
    }
  }
  for (const d of rebuilt) open.add(d);
  const layout: SandboxLayout = { rootIsLayer: true, entries: new Map(), mounts: [], key: '' };
  const skip = new Set([...OWN, ...hidden]);
  const { entries, mounts } = layout;
  entries.set('/tmp', { kind: 'dir', mode: 0o1777 });

  const view = (dir: string, inLayer: boolean): void => {
    if (rebuilt.has(dir)) {
      if (dir !== '/') {
        if (!inLayer) mounts.push({ flag: '--bind', dest: dir, fromLayer: true });
        addEntry(entries, dir, { kind: 'dir' });
      }
      for (const name of readdirSync(dir)) {
        const full = path.posix.join(dir, name);
        if (skip.has(full)) continue;
        if (hiddenEntry(dir, name)) {
          // A declared path below a hidden host folder gets empty folders of the pod's own, not the host's.
          for (const p of open) if (p === full || p.startsWith(`${full}/`)) addEntry(entries, p, { kind: 'dir' });
          continue;
        }
        const kind = hostKind(full);
        if (kind === 'missing') continue;
        if (kind === 'symlink') addEntry(entries, full, { kind: 'symlink', target: readlinkSync(full) });
        else if (kind === 'dir' && open.has(full)) view(full, true);
        // An empty host folder is recreated rather than bound: what the pod writes there stays in its layer.
        else if (kind === 'dir' && isEmptyDir(full)) addEntry(entries, full, { kind: 'dir' });
        else {
          mounts.push({ flag: '--ro-bind', dest: full });
          addEntry(entries, full, { kind: 'mount', dir: kind === 'dir' });
        }
      }
      return;
    }
    if (inLayer) {
      mounts.push({ flag: '--ro-bind', dest: dir });
      addEntry(entries, dir, { kind: 'mount', dir: true });
    } else if (dir === '/') mounts.push({ flag: '--ro-bind', dest: '/' });
    for (const child of open) {
      if (child !== dir && path.posix.dirname(child) === dir && !skip.has(child) && hostKind(child) === 'dir') view(child, false);
    }
  };
  view('/', false);

  // A tmpfs /tmp is size-capped; a pod declaring paths in /tmp keeps it in its layer, where the engine reads them.
  if (![...declared, ...hidden].some(own)) mounts.push({ flag: '--tmpfs', dest: '/tmp' });
  for (const p of ['/dev', '/proc']) {
    mounts.push({ flag: p === '/dev' ? '--dev' : '--proc', dest: p });
    if (layout.rootIsLayer) addEntry(entries, p, { kind: 'mount', dir: true });
  }
  for (const v of volumePaths) addEntry(entries, v, { kind: 'mount', dir: true });
  if (script) addEntry(entries, SCRIPT_PATH, { kind: 'mount', dir: false });
  layout.key = JSON.stringify([layout.rootIsLayer, [...entries], mounts]);
  return layout;
}

/**
 * The sandbox of a pod declaring `declared` paths, `hidden` paths (input artifacts: the host's version must not
 * show through), volumes at `volumePaths`, and a script or not.
 */
export function sandboxLayout(declared: string[], hidden: string[], volumePaths: string[], script: boolean): SandboxLayout {
  const key = JSON.stringify([declared, hidden, volumePaths, script]);
  const hit = memo.get(key);
  if (hit && Date.now() - hit.at < MEMO_MS) return hit.layout;
  const layout = computeLayout(declared, hidden, volumePaths, script);
  if (memo.size > 100) memo.clear();
  memo.set(key, { at: Date.now(), layout });
  return layout;
}

/** How a pod's sandbox is confined beyond its files (pods/limits.ts fills this from the configuration). */
export interface Confinement {
  /**
   * `none`: its own empty network namespace; `egress`: the network namespace it is started in (pods/network.ts
   * gives that one outbound access); `host`: the host's network (the fetch step with private sources).
   */
  network: 'none' | 'egress' | 'host';
  /** Size of the private /tmp when it is a tmpfs. */
  tmpBytes: number;
  /** Bound read-only at /etc/resolv.conf (egress: the resolver of the user-mode network). */
  resolvConf?: string;
}

/** The uid and gid a pod runs as inside its user namespace (nobody: owns nothing on the host's files). */
export const POD_UID = 65534;

/**
 * bubblewrap arguments for a pod whose layer `root` holds `layout`'s entries: the layer as `/`, the layout's
 * mounts, then the volumes (parents first, read-only where the mount says so) and the script read-only at its
 * staging path. The layer is prepared beforehand, so bubblewrap finds every mount point in place. The pod gets
 * its own user namespace with an unprivileged uid and no capabilities (also when the service runs as root), its
 * own pid, ipc, uts, cgroup and (unless told) network namespaces, a new session, and dies with its launcher.
 */
export function bwrapArgs(
  root: string,
  layout: SandboxLayout,
  volumes: Mount[],
  scriptFile: string | undefined,
  cwd: string,
  confinement: Confinement = { network: 'none', tmpBytes: 256 * 1024 * 1024 },
): string[] {
  const args = ['--bind', root, '/'];
  for (const m of layout.mounts) {
    if (m.flag === '--dev' || m.flag === '--proc') args.push(m.flag, m.dest);
    else if (m.flag === '--tmpfs') args.push('--perms', '1777', '--size', String(confinement.tmpBytes), '--tmpfs', m.dest);
    else args.push(m.flag, m.fromLayer ? path.join(root, m.dest) : m.dest, m.dest);
  }
  for (const v of [...volumes].sort((a, b) => a.path.length - b.path.length))
    args.push(v.readOnly ? '--ro-bind' : '--bind', v.host, v.path);
  if (scriptFile) args.push('--ro-bind', scriptFile, SCRIPT_PATH);
  // Only over a file the layout binds from the host (a link there would lead the bind out of the pod).
  const resolv = layout.entries.get('/etc/resolv.conf');
  if (confinement.resolvConf && resolv?.kind === 'mount' && !resolv.dir) args.push('--ro-bind', confinement.resolvConf, '/etc/resolv.conf');
  args.push(
    '--unshare-user',
    '--uid',
    String(POD_UID),
    '--gid',
    String(POD_UID),
    '--disable-userns',
    '--cap-drop',
    'ALL',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(confinement.network === 'none' ? ['--unshare-net'] : []),
    '--hostname',
    'pod',
    '--new-session',
    '--die-with-parent',
    '--chdir',
    cwd,
    '--',
  );
  return args;
}
