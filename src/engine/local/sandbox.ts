/**
 * Where a pod's declared paths live on the host, and how its process sees them: through bubblewrap bind mounts,
 * or — without a sandbox — by rewriting those paths in command, args, source and env.
 */
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** A path the template declares (volume mount, artifact, /tmp…) and the host folder or file behind it. */
export interface Mount {
  /** Path inside the pod. */
  path: string;
  /** Host path backing it. */
  host: string;
}

/** The host path for `podPath`: under the deepest mount containing it, or undefined. */
export function hostPathOf(mounts: Mount[], podPath: string): string | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    if ((podPath === m.path || podPath.startsWith(m.path.endsWith('/') ? m.path : `${m.path}/`)) && (!best || m.path.length > best.path.length)) best = m;
  }
  return best ? path.join(best.host, podPath.slice(best.path.length)) : undefined;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rewrites every mounted path prefix in `text` to its host path (no-sandbox mode). */
export function makeRewriter(mounts: Mount[]): (text: string) => string {
  if (mounts.length === 0) return (t) => t;
  const sorted = [...mounts].sort((a, b) => b.path.length - a.path.length);
  // A path starts after a non-path character and ends at a separator, so `/tmpfoo` and `x/tmp` stay untouched.
  const re = new RegExp(`(?<![\\w./-])(${sorted.map((m) => escapeRe(m.path)).join('|')})(?=$|[^\\w.-])`, 'g');
  const byPath = new Map(sorted.map((m) => [m.path, m.host]));
  return (text) => text.replace(re, (p) => byPath.get(p) ?? p);
}

function isPrefix(dir: string, p: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Host directories a mount point must be created in (the read-only host view cannot take new folders). */
function foldersToOpen(targets: string[]): Set<string> {
  const open = new Set<string>();
  for (const target of targets) {
    if (exists(target)) continue;
    // Inside another mount (a writable host folder) bubblewrap can create it.
    if (targets.some((t) => t !== target && isPrefix(t, target))) continue;
    let dir = path.dirname(target);
    while (dir !== '/' && !exists(dir)) dir = path.dirname(dir);
    if (dir !== '/') open.add(dir);
  }
  return open;
}

/** Read-only host view: each entry bound, except folders on the way to a new mount point, rebuilt as writable tmpfs dirs. */
function hostView(dir: string, open: Set<string>, args: string[]): void {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (dir === '/' && (full === '/dev' || full === '/proc' || full === '/tmp')) continue;
    let st;
    try {
      st = lstatSync(full);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(full), full);
    else if (st.isDirectory() && [...open].some((o) => isPrefix(full, o))) {
      args.push('--dir', full);
      hostView(full, open, args);
    } else args.push('--ro-bind', full, full);
  }
}

/** bubblewrap arguments: host root read-only, /dev, /proc, then every mount read-write (parents first). */
export function bwrapArgs(mounts: Mount[], cwd: string): string[] {
  const sorted = [...mounts].sort((a, b) => a.path.length - b.path.length);
  const args: string[] = [];
  hostView('/', foldersToOpen(sorted.map((m) => m.path)), args);
  args.push('--dev', '/dev', '--proc', '/proc');
  if (!sorted.some((m) => m.path === '/tmp')) args.push('--tmpfs', '/tmp');
  for (const m of sorted) args.push('--bind', m.host, m.path);
  args.push('--unshare-pid', '--die-with-parent', '--chdir', cwd, '--');
  return args;
}

/** Whether bubblewrap is installed and can create a sandbox here (user namespaces may be disabled). */
export async function bwrapWorks(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', 'true'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}
