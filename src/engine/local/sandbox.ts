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
    if (
      (podPath === m.path || podPath.startsWith(m.path.endsWith('/') ? m.path : `${m.path}/`)) &&
      (!best || m.path.length > best.path.length)
    )
      best = m;
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

/** Read-only host view: each entry bound, except the pod's own paths (left to its layer) and their ancestors (rebuilt). */
function hostView(dir: string, open: Set<string>, skip: Set<string>, args: string[]): void {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (skip.has(full)) continue;
    let st;
    try {
      st = lstatSync(full);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(full), full);
    else if (st.isDirectory() && open.has(full)) {
      args.push('--dir', full);
      hostView(full, open, skip, args);
    } else args.push('--ro-bind', full, full);
  }
}

/**
 * bubblewrap arguments: the pod's layer `root` as `/`, the host bound read-only into it (except `hidden` paths and
 * /tmp, which stay the pod's; folders above declared paths are rebuilt so the pod can create them), /dev, /proc,
 * then the volumes read-write (parents first).
 */
export function bwrapArgs(root: string, declared: string[], hidden: string[], volumes: Mount[], cwd: string): string[] {
  const open = new Set<string>();
  for (const p of [...declared, ...volumes.map((v) => v.path)]) {
    for (let dir = path.posix.dirname(p); dir !== '/'; dir = path.posix.dirname(dir)) open.add(dir);
  }
  const skip = new Set(['/dev', '/proc', '/tmp', ...hidden]);
  const args = ['--bind', root, '/'];
  hostView('/', open, skip, args);
  args.push('--dev', '/dev', '--proc', '/proc');
  for (const v of [...volumes].sort((a, b) => a.path.length - b.path.length)) args.push('--bind', v.host, v.path);
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
