/**
 * What of the host a pod sees by name: the allowlisted top-level folders, the secrets of /etc that stay hidden,
 * and how a pod path resolves through the host links it sees (sandbox-layout.ts builds the view from these).
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Pod paths under these never open host folders: the pod gets its own. */
export const OWN = ['/tmp', '/dev', '/proc'];

/** The host's top-level entries a pod sees (read-only); everything else at `/` is the pod's own. */
const ALLOWED_TOP = new Set(['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'opt', 'etc']);

/** Folders of /etc walked for entries that are not world-readable, and entries looked at, at most. */
const WALK_LIMIT = 20000;

let hiding: { at: number; dirs: string[] } | undefined;

/** Folders below /etc (not /etc itself) holding an entry that is not world-readable: one bounded walk. */
function walkEtc(): string[] {
  const found = new Set<string>(['/etc/ssl']);
  const queue = ['/etc'];
  let seen = 0;
  while (queue.length > 0 && seen < WALK_LIMIT) {
    const dir = queue.shift()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > WALK_LIMIT) break;
      if (dir === '/etc' && ETC_SECRETS.has(name)) continue;
      const full = path.posix.join(dir, name);
      const st = lstatSync(full, { throwIfNoEntry: false });
      if (!st) continue;
      if ((st.mode & 0o004) === 0) {
        if (dir !== '/etc') found.add(dir);
      } else if (st.isDirectory()) queue.push(full);
    }
  }
  return [...found].sort();
}

/**
 * Host folders with entries `hiddenEntry` hides (covered when bound whole, left out when rebuilt): /etc, and
 * every folder below it holding an entry that is not world-readable — found by one bounded walk, walked again
 * at most once a minute.
 */
export function hidingFolders(): string[] {
  if (!hiding || Date.now() - hiding.at > 60_000) hiding = { at: Date.now(), dirs: ['/etc', ...walkEtc()] };
  return hiding.dirs;
}

/** When the walk `hidingFolders` returns was made (walked again first if it is older than a minute). */
export function hidingSince(): number {
  hidingFolders();
  return hiding!.at;
}

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
 * secrets of /etc and /etc/ssl/private, and anywhere in /etc whatever is not world-readable (the pod's uid maps to the
 * service's uid on the host, so owner-only files would otherwise be readable).
 */
export function hiddenEntry(dir: string, name: string): boolean {
  if (dir === '/') return !ALLOWED_TOP.has(name);
  if (dir === '/etc') {
    if (ETC_SECRETS.has(name)) return true;
    try {
      return (lstatSync(path.posix.join(dir, name)).mode & 0o004) === 0;
    } catch {
      return true;
    }
  }
  if (dir === '/etc/ssl' && name === 'private') return true;
  if (!dir.startsWith('/etc/')) return false;
  try {
    return (lstatSync(path.posix.join(dir, name)).mode & 0o004) === 0;
  } catch {
    return true;
  }
}

/**
 * A pod path as the pod resolves it: through the host links it sees (in allowed host folders: `/bin/foo` is
 * `/usr/bin/foo` on a merged-/usr host), not through host entries it does not see (its own /tmp, hidden ones).
 */
export function podView(p: string): string {
  let parts = p.split('/').filter(Boolean);
  let cur = '/';
  for (let i = 0, hops = 0; i < parts.length; i++) {
    const name = parts[i]!;
    const next = path.posix.join(cur, name);
    const rest = () => path.posix.join(next, ...parts.slice(i + 1));
    if (OWN.some((o) => next === o || next.startsWith(`${o}/`)) || hiddenEntry(cur, name)) return rest();
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(next, { throwIfNoEntry: false });
    } catch {
      st = undefined; // below a file (ENOTDIR), unreadable: the rest is the pod's own
    }
    if (!st) return rest();
    if (st.isSymbolicLink()) {
      if (++hops > 40) return p;
      parts = [...path.posix.resolve(cur, readlinkSync(next)).split('/').filter(Boolean), ...parts.slice(i + 1)];
      cur = '/';
      i = -1;
      continue;
    }
    cur = next;
  }
  return cur;
}

/**
 * What of a declared output path the pod's files hold before it runs. Argo creates no folder for outputs (only
 * the folders of input artifacts, cmd/argoexec/commands/emissary.go:linkInputArtifactsAt, and volume mount
 * points): the program makes the folders it writes into, and `mkdir /mnt/out` fails where one exists. So an output
 * path counts up to its first entry the pod does not see; the folder above it is there (made in the pod's layer
 * for a top-level folder the host hides: images have `/mnt`, `/home`…), that entry is the program's to create.
 */
export function outputPrefix(p: string): string {
  const parts = p.split('/').filter(Boolean);
  if (parts.length <= 2) return p;
  const top = `/${parts[0]}`;
  if (OWN.includes(top) || hiddenEntry('/', parts[0]!)) return `${top}/${parts[1]}`;
  for (let k = 2; k < parts.length; k++) {
    const prefix = `/${parts.slice(0, k).join('/')}`;
    if (!lstatSync(podView(prefix), { throwIfNoEntry: false })) return prefix;
  }
  return p;
}
