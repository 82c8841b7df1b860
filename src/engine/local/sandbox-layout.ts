/**
 * The bubblewrap view of a pod: the host read-only, a private /tmp, /dev, /proc, and the pod's own writable layer
 * wherever the template declares paths the host lacks (/output_dir, /mnt/out, /argo/staging…). Mounts are what a
 * sandbox costs (bubblewrap re-reads the mount table for each), so the host is bound whole (`--ro-bind / /`) and
 * only the folders that must gain entries are rebuilt in the layer, their host entries bound one by one.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { Mount } from './sandbox.ts';

/** What a pod's layer holds at a path before the pod runs (see sandbox-roots.ts). */
export type LayerEntry =
  | { kind: 'dir'; mode?: number }
  | { kind: 'symlink'; target: string }
  /** A mount point: bubblewrap binds something over it, so the pod never writes into it. */
  | { kind: 'mount'; dir: boolean };

interface LayoutMount {
  flag: '--bind' | '--ro-bind' | '--dev' | '--proc';
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
  const rebuilt = new Set<string>();
  for (const p of [...declared, ...volumePaths, ...hidden, ...(script ? [SCRIPT_PATH] : [])]) {
    if (own(p)) continue;
    for (let child = p; child !== '/'; child = path.posix.dirname(child)) {
      const parent = path.posix.dirname(child);
      open.add(parent);
      if ((hiddenSet.has(child) || hostKind(child) === 'missing') && hostKind(parent) === 'dir') rebuilt.add(parent);
    }
  }
  const layout: SandboxLayout = { rootIsLayer: rebuilt.has('/'), entries: new Map(), mounts: [], key: '' };
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

  if (!layout.rootIsLayer) mounts.push({ flag: '--bind', dest: '/tmp', fromLayer: true });
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

/**
 * bubblewrap arguments for a pod whose layer `root` holds `layout`'s entries: the layout's mounts, then the volumes
 * read-write (parents first) and the script read-only at its staging path. The layer is prepared beforehand, so
 * bubblewrap finds every mount point in place.
 */
export function bwrapArgs(root: string, layout: SandboxLayout, volumes: Mount[], scriptFile: string | undefined, cwd: string): string[] {
  const args = layout.rootIsLayer ? ['--bind', root, '/'] : [];
  for (const m of layout.mounts) {
    if (m.flag === '--dev' || m.flag === '--proc') args.push(m.flag, m.dest);
    else args.push(m.flag, m.fromLayer ? path.join(root, m.dest) : m.dest, m.dest);
  }
  for (const v of [...volumes].sort((a, b) => a.path.length - b.path.length)) args.push(v.readOnly ? '--ro-bind' : '--bind', v.host, v.path);
  if (scriptFile) args.push('--ro-bind', scriptFile, SCRIPT_PATH);
  args.push(...ROOT_CAPS, '--unshare-pid', '--die-with-parent', '--chdir', cwd, '--');
  return args;
}

/**
 * Run as root, bubblewrap keeps every capability in the sandbox, and with CAP_SYS_ADMIN a pod could remount the
 * host read-write. Pods get what a Docker container gets by default instead (Argo's pods run with those).
 */
const ROOT_CAPS =
  process.getuid?.() === 0
    ? [
        '--cap-drop',
        'ALL',
        ...[
          'CHOWN',
          'DAC_OVERRIDE',
          'FOWNER',
          'FSETID',
          'KILL',
          'SETGID',
          'SETUID',
          'SETPCAP',
          'NET_BIND_SERVICE',
          'NET_RAW',
          'SYS_CHROOT',
          'MKNOD',
          'AUDIT_WRITE',
          'SETFCAP',
        ].flatMap((cap) => ['--cap-add', `CAP_${cap}`]),
      ]
    : [];
