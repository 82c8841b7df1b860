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
  /** `volumeMounts[].readOnly`: bound read-only. */
  readOnly?: boolean;
  /** The volume's own folder (`host` lies below it with a subPath). */
  base?: string;
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

/**
 * Why bubblewrap cannot create a pod's sandbox here (not installed, too old for the flags pods use, user
 * namespaces disabled), or undefined when it can: a probe with the same namespaces and mounts as a pod.
 */
export async function bwrapProblem(): Promise<string | undefined> {
  const args = [
    ...['--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib'],
    ...['--symlink', 'usr/lib64', '/lib64', '--dev', '/dev', '--proc', '/proc', '--perms', '1777', '--size', '1048576'],
    ...['--tmpfs', '/tmp', '--unshare-user', '--uid', '65534', '--gid', '65534', '--disable-userns', '--cap-drop', 'ALL'],
    ...['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--new-session', '--die-with-parent', 'true'],
  ];
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn('bwrap', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) =>
      resolve(`bubblewrap (bwrap) cannot be started: ${err.message}; install it (Debian: apt-get install bubblewrap)`),
    );
    child.on('exit', (code) =>
      resolve(
        code === 0
          ? undefined
          : `bubblewrap (bwrap) cannot create a sandbox here: ${stderr.trim() || `exit code ${code}`}; it needs bubblewrap >= 0.8 and unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0)`,
      ),
    );
  });
}

/** Whether bubblewrap can create a pod's sandbox here. */
export async function bwrapWorks(): Promise<boolean> {
  return (await bwrapProblem()) === undefined;
}
