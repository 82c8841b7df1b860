/**
 * Where a pod's declared paths live on the host, and how its process sees them: through bubblewrap bind mounts
 * (sandbox-layout.ts), or — without a sandbox — by rewriting those paths in command, args, source and env.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

/** A path the template declares (volume mount, artifact, /tmp…) and the host folder or file behind it. */
export interface Mount {
  /** Path inside the pod. */
  path: string;
  /** Host path backing it. */
  host: string;
  /** `readOnly` of the volumeMount (or of the claim): the pod cannot write through it. */
  readOnly?: boolean;
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

/** Whether bubblewrap is installed and can create a sandbox here (user namespaces may be disabled). */
export async function bwrapWorks(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', 'true'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}
