/**
 * The pods' /etc in one mount: a copy of the host's /etc in which every entry `hiddenEntry` hides (its named
 * secrets, and at any depth whatever is not world-readable) is an empty placeholder of its kind. It is bound
 * read-only in place of the host's /etc and the placeholders covering its secrets one by one (sandbox-layout.ts):
 * bubblewrap reads the mount table again for every bind, and the covers alone cost about 2 ms a pod.
 *
 * The copy follows the host: a new one is made in the background when /etc's entries change (its mtime) or when
 * the walk for hidden entries runs again (host-view.ts, at most once a minute), and until it is ready pods get
 * the host's /etc with covers. Its `resolv.conf` (where the host's is a file) names the pods' resolver, so that
 * needs no bind either. Links are copied as links, files and folders with their modes; other entries
 * (sockets, fifos, devices) are left out, and no set-id or sticky bit is kept. Bounded: past 20,000 entries or 64 MiB no copy is made and pods keep
 * the host's /etc with covers (tried again when the host's /etc changes).
 */
import { chmod, copyFile, lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import { hiddenEntry, hidingSince } from './host-view.ts';
import { SLIRP_DNS } from './network.ts';

const ENTRY_LIMIT = 20_000;
const BYTE_LIMIT = 64 * 1024 * 1024;

interface Budget {
  entries: number;
  bytes: number;
  /** Set when the engine closes: the copy stops. */
  stopped: () => boolean;
}

/** Copies the host folder `src` into the new folder `dst` (see the header). */
async function copyFolder(src: string, dst: string, budget: Budget): Promise<void> {
  for (const name of await readdir(src)) {
    if (--budget.entries < 0) throw new Error(`more than ${ENTRY_LIMIT} entries`);
    if (budget.stopped()) throw new Error('the engine closed');
    const from = path.posix.join(src, name);
    const to = path.join(dst, name);
    const st = await lstat(from).catch(() => undefined);
    if (!st) continue;
    if (src === '/etc' && name === 'resolv.conf' && st.isFile()) {
      // The resolver pods get (the user-mode network's; a pod without network resolves nothing): no bind over it.
      await writeFile(to, `nameserver ${SLIRP_DNS}\n`, { mode: 0o644 });
    } else if (hiddenEntry(src, name)) {
      if (st.isDirectory()) await mkdir(to, { mode: 0o555 });
      else await writeFile(to, '', { mode: 0o444 });
    } else if (st.isSymbolicLink()) await symlink(await readlink(from), to);
    else if (st.isDirectory()) {
      await mkdir(to, { mode: 0o700 });
      await copyFolder(from, to, budget);
      // Owner-writable so the engine can remove it (a plain recursive rm); pods get it read-only.
      await chmod(to, (st.mode & 0o777) | 0o200);
    } else if (st.isFile()) {
      budget.bytes -= st.size;
      if (budget.bytes < 0) throw new Error(`more than ${BYTE_LIMIT} bytes`);
      await copyFile(from, to);
      await chmod(to, st.mode & 0o777);
    }
  }
}

const hostKey = () => `${hidingSince()}:${statSync('/etc', { throwIfNoEntry: false })?.mtimeMs ?? 0}`;

/** The engine's copies of /etc, in `parent` (a folder of the engine's own). */
export class EtcMirror {
  private current: { key: string; dir: string } | undefined;
  private previous: string | undefined;
  private building: Promise<void> | undefined;
  private next = 0;
  private closed = false;
  /** The host state a copy failed for (too large, unreadable, changed meanwhile): tried again once it changes. */
  private failedKey: string | undefined;

  constructor(private readonly parent: string) {}

  /** The copy's folder when it matches the host's /etc now; else undefined, and a new copy is started. */
  dir(): string | undefined {
    const key = hostKey();
    if (this.current?.key === key) return this.current.dir;
    if (!this.building && this.failedKey !== key && !this.closed)
      this.building = this.build(key).finally(() => (this.building = undefined));
    return undefined;
  }

  /** Stops a copy being made and makes no more; resolves once none is being made (the pool then removes them). */
  async close(): Promise<void> {
    this.closed = true;
    await this.building;
  }

  private async build(key: string): Promise<void> {
    const dir = path.join(this.parent, `etc-${this.next++}`);
    const partial = `${dir}.partial`;
    try {
      await mkdir(partial, { recursive: true, mode: 0o755 });
      await copyFolder('/etc', partial, { entries: ENTRY_LIMIT, bytes: BYTE_LIMIT, stopped: () => this.closed });
      await rename(partial, dir);
    } catch {
      // Pods keep the host's /etc with covers until the host's /etc changes and a copy succeeds.
      this.failedKey = key;
      await rm(partial, { recursive: true, force: true }).catch(() => undefined);
      return;
    }
    // The copy before the last one goes: pods started since have the last one or this one.
    if (this.previous) void rm(this.previous, { recursive: true, force: true }).catch(() => undefined);
    this.previous = this.current?.dir;
    this.current = { key, dir };
  }
}
