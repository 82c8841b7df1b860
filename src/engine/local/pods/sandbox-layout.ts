/**
 * The bubblewrap view of a pod: the pod's own writable layer as `/`, the host's system folders read-only from an
 * allowlist (`/usr`, `/bin`, `/sbin`, `/lib*`, `/opt`, `/etc` without its secrets), a private /tmp, a minimal
 * /dev, its own /proc, and its declared paths. Nothing else of the host (the data folder, `/home`, `/root`,
 * `/var`, `/run`, `/srv`, `/work`, the checkout) exists in it. Mounts are what a sandbox costs (bubblewrap
 * re-reads the mount table for each: 140 mounts took ~40 ms a pod, 12 ~8 ms), so allowed folders are bound whole,
 * the secrets in them covered by empty read-only placeholders (`/etc/shadow` reads as an empty file, `/etc/ssh` as
 * an empty folder), and only folders that must gain entries are rebuilt in the layer, their host entries bound one
 * by one (hidden ones left out).
 */
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Mount } from './sandbox-paths.ts';
import { hiddenEntry, hidingFolders, OWN, podView } from './host-view.ts';

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
  /** The source is the empty read-only placeholder file or folder (`Placeholders`): hides a host secret. */
  cover?: 'file' | 'dir';
}

/** Empty read-only file and folder bound over the secrets of a folder bound whole (sandbox-roots.ts makes them). */
export interface Placeholders {
  file: string;
  dir: string;
}

/** Where a pool whose layer is `root` keeps its placeholders by default: in `<pool>-aside` (sandbox-roots.ts). */
function placeholdersBeside(root: string): Placeholders {
  const aside = `${path.dirname(root)}-aside`;
  return { file: path.join(aside, 'cover-file'), dir: path.join(aside, 'cover-dir') };
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
  /** /etc/resolv.conf is a host file the sandbox binds (so a pod's resolver can be bound over it). */
  resolvBindable: boolean;
}

export const SCRIPT_PATH = '/argo/staging/script';

/**
 * Layouts are computed from the host's folders; reused for a moment so a fan-out does not re-read them per pod,
 * and never once an entry of /etc was added, removed or renamed (a new secret there is covered at once).
 */
const MEMO_MS = 1000;
const memo = new Map<string, { at: number; etc: number; layout: SandboxLayout }>();
const etcChanged = () => statSync('/etc', { throwIfNoEntry: false })?.mtimeMs ?? 0;

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

/**
 * Cover mounts for the hidden host entries below `dir` (itself included) when it is bound whole, except in
 * `rebuilt` folders; undefined when one cannot be covered (a link or special file): that folder is rebuilt.
 */
function coversBelow(dir: string, rebuilt: Set<string>): LayoutMount[] | undefined {
  const covers: LayoutMount[] = [];
  for (const h of hidingFolders()) {
    if ((h !== dir && !h.startsWith(`${dir}/`)) || rebuilt.has(h) || hostKind(h) !== 'dir') continue;
    for (const name of readdirSync(h)) {
      if (!hiddenEntry(h, name)) continue;
      const st = lstatSync(path.posix.join(h, name), { throwIfNoEntry: false });
      if (!st) continue;
      if (!st.isDirectory() && !st.isFile()) return undefined;
      covers.push({ flag: '--ro-bind', dest: path.posix.join(h, name), cover: st.isDirectory() ? 'dir' : 'file' });
    }
  }
  return covers;
}

const ownPath = (p: string) => OWN.some((o) => p === o || p.startsWith(`${o}/`));

/**
 * The host folders the pod's view opens (`open`: they lead to a pod path) and those rebuilt in its layer
 * (`rebuilt`): a pod path needs an entry in them that the host lacks or must hide, or a secret in them cannot
 * be covered.
 */
function foldersToOpen(paths: string[], hidden: string[]): { open: Set<string>; rebuilt: Set<string> } {
  const hiddenSet = new Set(hidden);
  const open = new Set<string>(['/']);
  const rebuilt = new Set<string>(['/']);
  const hidingDirs = hidingFolders();
  for (const h of hidingDirs) if (hostKind(h) === 'dir' && !coversBelow(h, new Set(hidingDirs.filter((o) => o !== h)))) rebuilt.add(h);
  for (const p of paths) {
    if (ownPath(p)) continue;
    for (let child = p; child !== '/'; child = path.posix.dirname(child)) {
      const parent = path.posix.dirname(child);
      open.add(parent);
      if ((hiddenSet.has(child) || hostKind(child) === 'missing') && hostKind(parent) === 'dir') rebuilt.add(parent);
    }
  }
  for (const d of rebuilt) for (let p = d; p !== '/'; p = path.posix.dirname(p)) open.add(p);
  return { open, rebuilt };
}

function computeLayout(declared: string[], hidden: string[], volumePaths: string[], script: boolean): SandboxLayout {
  const own = ownPath;
  const { open, rebuilt } = foldersToOpen([...declared, ...volumePaths, ...hidden, ...(script ? [SCRIPT_PATH] : [])], hidden);
  const layout: SandboxLayout = { rootIsLayer: true, entries: new Map(), mounts: [], key: '', resolvBindable: false };
  const skip = new Set([...OWN, ...hidden]);
  const { entries, mounts } = layout;
  entries.set('/tmp', { kind: 'dir', mode: 0o1777 });
  // A host folder bound whole, its secrets covered right after it.
  const bindWhole = (dir: string) => {
    // Fail closed: a secret that became a link since the check above is never left uncovered.
    const covers = coversBelow(dir, rebuilt);
    if (!covers) throw new Error(`the host's ${dir} changed while the pod's sandbox was laid out`);
    mounts.push({ flag: '--ro-bind', dest: dir }, ...covers);
    if (dir === '/etc') layout.resolvBindable = lstatSync('/etc/resolv.conf', { throwIfNoEntry: false })?.isFile() ?? false;
  };

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
          if (kind === 'dir') bindWhole(full);
          else mounts.push({ flag: '--ro-bind', dest: full });
          addEntry(entries, full, { kind: 'mount', dir: kind === 'dir' });
          if (full === '/etc/resolv.conf') layout.resolvBindable = true;
        }
      }
      return;
    }
    if (inLayer) {
      bindWhole(dir);
      addEntry(entries, dir, { kind: 'mount', dir: true });
    }
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
  const etc = etcChanged();
  if (hit && Date.now() - hit.at < MEMO_MS && hit.etc === etc) return hit.layout;
  const layout = computeLayout(declared.map(podView), hidden.map(podView), volumePaths.map(podView), script);
  if (memo.size > 100) memo.clear();
  memo.set(key, { at: Date.now(), etc, layout });
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
  /** The placeholders covering secrets; default: those of the pool `root` belongs to. */
  placeholders?: Placeholders;
  /** A copy of /etc without its secrets (etc-mirror.ts): bound in place of a whole host /etc and its covers. */
  etc?: string;
}

const isWholeEtc = (m: LayoutMount) => m.flag === '--ro-bind' && m.dest === '/etc' && !m.cover && !m.fromLayer;

/** The uid and gid a pod runs as inside its user namespace (nobody: owns nothing on the host's files). */
const POD_UID = 65534;

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
  const placeholders = confinement.placeholders ?? placeholdersBeside(root);
  // The host's /etc bound whole: its copy instead, whose secrets are placeholders already (no covers below it).
  const etc = layout.mounts.some(isWholeEtc) ? confinement.etc : undefined;
  for (const m of layout.mounts) {
    if (m.flag === '--dev' || m.flag === '--proc') args.push(m.flag, m.dest);
    else if (m.flag === '--tmpfs') args.push('--perms', '1777', '--size', String(confinement.tmpBytes), '--tmpfs', m.dest);
    else if (etc && isWholeEtc(m)) args.push('--ro-bind', etc, '/etc');
    else if (!(etc && m.cover && m.dest.startsWith('/etc/')))
      args.push(m.flag, m.cover ? placeholders[m.cover] : m.fromLayer ? path.join(root, m.dest) : m.dest, m.dest);
  }
  for (const v of [...volumes].sort((a, b) => a.path.length - b.path.length))
    args.push(v.readOnly ? '--ro-bind' : '--bind', v.host, v.path);
  if (scriptFile) args.push('--ro-bind', scriptFile, SCRIPT_PATH);
  // Only over a file the layout binds from the host (a link there would lead the bind out of the pod).
  // (The copy of /etc names the same resolver already.)
  if (confinement.resolvConf && layout.resolvBindable && !etc) args.push('--ro-bind', confinement.resolvConf, '/etc/resolv.conf');
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

/**
 * Whether a pod with `layout` can have a fresh size-capped tmpfs as its `/` instead of a layer on the host: its
 * layout takes nothing from a layer (no folder rebuilt there, no script), so bubblewrap creates its entries
 * itself. The engine then neither builds nor removes a layer for it, and what the pod writes never reaches the
 * host's disk.
 */
export function onTmpfs(layout: SandboxLayout): boolean {
  return !layout.mounts.some((m) => m.fromLayer) && ![...layout.entries.keys()].includes(SCRIPT_PATH);
}

/**
 * bubblewrap arguments for a pod on a tmpfs `/` (`onTmpfs`): the tmpfs (capped at the size of /tmp), the
 * layout's folders and links made in it, then the same mounts and namespaces as `bwrapArgs` (mount points are
 * created by bubblewrap).
 */
export function tmpfsRootArgs(layout: SandboxLayout, cwd: string, confinement: Confinement): string[] {
  const make: string[] = [];
  for (const [p, entry] of layout.entries) {
    if (entry.kind === 'symlink') make.push('--symlink', entry.target, p);
    else if (entry.kind === 'dir') make.push(...(entry.mode === undefined ? [] : ['--perms', entry.mode.toString(8)]), '--dir', p);
  }
  // /tmp is the tmpfs's own 1777 folder (made above), not a second tmpfs: one mount less per pod, the same cap.
  const mounts = layout.mounts.filter((m) => !(m.flag === '--tmpfs' && m.dest === '/tmp'));
  // The layer's path never appears: no mount of this layout takes its source from the layer.
  const rest = bwrapArgs('/nonexistent', { ...layout, mounts }, [], undefined, cwd, confinement).slice(3);
  return ['--perms', '0755', '--size', String(confinement.tmpBytes), '--tmpfs', '/', ...make, ...rest];
}
