/**
 * Per-node control groups (DESIGN §9): the process and memory limits of a step as the kernel's `pids` and
 * `memory` controllers, which bind whatever uid the service runs as (RLIMIT_NPROC counts per uid and does not
 * bind root). Each node gets its own group below the service's own (`<service's group>/ogdc-<pid>-<random>/<n>`),
 * joined by the step's first process before it execs anything; what is left in it is killed when the node ends.
 * Making and removing a group costs a few milliseconds (memory groups most), so groups with the limits pods use
 * are made ready ahead (fresh: their event counters at zero) and emptied groups are removed in the background.
 *
 * cgroup v1 (a writable `pids` and `memory` hierarchy) and v2 (a writable group whose `cgroup.subtree_control`
 * the engine may enable `pids memory` in) are used; without either the engine falls back to per-process resource
 * limits (limits.ts: RLIMIT_NPROC, RLIMIT_AS) and warns at start.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MB = 1024 * 1024;

/** One node's groups. */
export interface NodeCgroup {
  /** The files the step's first process writes itself (`0`) into: `tasks` (v1) or `cgroup.procs` (v2). */
  procsFiles: string[];
  /** Which limit the step ran into, if any. */
  hit(): Promise<'processes' | 'memoryMb' | undefined>;
  /** Kills whatever is left in the groups and removes them. */
  remove(): Promise<void>;
}

/** A node's group per controller (one folder for both on v2), made with these limits. */
interface Groups {
  dirs: Record<'pids' | 'memory', string>;
  unique: string[];
  processes: number;
  memoryMb: number;
}

interface Mounts {
  v1: Map<string, string>;
  v2?: string;
}

async function mounts(): Promise<Mounts> {
  const out: Mounts = { v1: new Map() };
  const text = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [, dir, type, opts] = line.split(' ');
    if (!dir || !opts) continue;
    if (type === 'cgroup2' && !out.v2) out.v2 = dir;
    if (type === 'cgroup') for (const c of ['pids', 'memory']) if (opts.split(',').includes(c) && !out.v1.has(c)) out.v1.set(c, dir);
  }
  return out;
}

/** The service's own group per controller (`''` for v2), from /proc/self/cgroup. */
async function ownGroups(): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const line of (await readFile('/proc/self/cgroup', 'utf8').catch(() => '')).split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1]!.split(',')) map.set(c, m[2]!);
  }
  return map;
}

/** A cgroup file's text ('' when it cannot be read). */
function readSmall(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const intOf = (text: string, key: string) => Number(new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);

async function killAll(dir: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function removeDir(dir: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      await killAll(dir);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Removes the groups engines whose process is gone left under `parent` (named `ogdc-<pid>-<random>`). */
async function removeDead(parent: string): Promise<void> {
  for (const entry of await readdir(parent).catch(() => [])) {
    const pid = Number(/^ogdc-(\d+)-/.exec(entry)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    const dir = path.join(parent, entry);
    for (const node of await readdir(dir, { withFileTypes: true }).catch(() => []))
      if (node.isDirectory()) await removeDir(path.join(dir, node.name));
    await removeDir(dir);
  }
}

/** Fresh groups kept ready per limits. */
const SPARES = 2;
/** Emptied groups kept per limits for reuse; more are removed. */
const EMPTIED_KEPT = 64;

/** The engine's groups: one folder per controller, a sub-folder per node. */
export class Cgroups {
  private next = 0;
  private readonly spares = new Map<string, Promise<Groups>[]>();
  /** Groups of ended nodes kept for the next nodes with the same limits (`reusable`). */
  private readonly emptied = new Map<string, Groups[]>();
  private background: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly version: 1 | 2,
    /** v1: controller → the engine's folder; v2: '' → the engine's folder. */
    private readonly bases: Map<string, string>,
  ) {}

  /**
   * The engine's groups, or the reason they cannot be made here (then the caller warns and uses per-process resource limits).
   */
  static async create(): Promise<Cgroups | string> {
    const m = await mounts();
    const own = await ownGroups();
    const name = `ogdc-${process.pid}-${randomUUID().slice(0, 8)}`;
    const reasons: string[] = [];
    if (m.v1.has('pids') && m.v1.has('memory')) {
      const bases = new Map<string, string>();
      try {
        for (const c of ['pids', 'memory']) {
          const parent = path.join(m.v1.get(c)!, own.get(c) ?? '/');
          await removeDead(parent);
          const dir = path.join(parent, name);
          await mkdir(dir);
          bases.set(c, dir);
        }
        return new Cgroups(1, bases);
      } catch (err) {
        for (const dir of bases.values()) await rmdir(dir).catch(() => undefined);
        reasons.push(`cgroup v1: ${(err as Error).message}`);
      }
    }
    if (m.v2 && own.has('')) {
      const parent = path.join(m.v2, own.get('')!);
      const dir = path.join(parent, name);
      try {
        const controllers = (await readFile(path.join(parent, 'cgroup.controllers'), 'utf8')).split(/\s+/);
        if (!controllers.includes('pids') || !controllers.includes('memory'))
          throw new Error(`the service's group ${parent} offers no pids and memory controllers`);
        await removeDead(parent);
        await mkdir(dir);
        // A v2 group with processes cannot enable controllers for its children: the engine's own folder has none.
        await writeFile(path.join(dir, 'cgroup.subtree_control'), '+pids +memory');
        return new Cgroups(2, new Map([['', dir]]));
      } catch (err) {
        await rmdir(dir).catch(() => undefined);
        reasons.push(`cgroup v2: ${(err as Error).message}`);
      }
    }
    return reasons.length > 0 ? reasons.join('; ') : 'no cgroup pids and memory controllers are mounted';
  }

  /** Runs `work` after the engine's other background work (so it never competes with itself). */
  private later<T>(work: () => Promise<T>): Promise<T> {
    const done = this.background.then(work);
    this.background = done.catch(() => undefined);
    return done;
  }

  /**
   * Groups for a node with `processes` tasks and `memoryMb` of memory at most: those of an ended node with the same
   * limits (`reusable`), one made ready earlier, or made now; another is then made ready in the background.
   */
  async node(_id: string, processes: number, memoryMb: number): Promise<NodeCgroup> {
    const key = `${processes}/${memoryMb}`;
    const reused = this.emptied.get(key)?.pop();
    if (reused) return this.lease(reused);
    const list = this.spares.get(key) ?? [];
    this.spares.set(key, list);
    const ready = list.shift();
    while (!this.closed && list.length < SPARES) {
      const spare = this.later(() => this.make(processes, memoryMb));
      spare.catch(() => undefined);
      list.push(spare);
    }
    return this.lease(await (ready ? ready.catch(() => this.make(processes, memoryMb)) : this.make(processes, memoryMb)));
  }

  /** A node's hold on `g`: its first `remove` hands the groups back (kept for the next node, or removed). */
  private lease(g: Groups): NodeCgroup {
    let removed = false;
    return {
      // v1: `tasks`, moving the writer's one thread (the step's first process, a single-threaded shell): moving
      // the caller's own thread takes no system-wide lock (Linux 6.x), where `cgroup.procs` waits for one (~4 ms a
      // step in a fan-out). v2 moves threads only within a threaded subtree: `cgroup.procs`.
      procsFiles: g.unique.map((d) => path.join(d, this.version === 1 ? 'tasks' : 'cgroup.procs')),
      hit: async () => this.hit(g),
      remove: async () => {
        if (removed) return;
        removed = true;
        await this.release(g);
      },
    };
  }

  /** Which limit the node in `g` ran into. Small kernel files, read synchronously (through the thread pool each read waited ~0.5 ms under load). */
  private hit(g: Groups): 'processes' | 'memoryMb' | undefined {
    const pidsEvents = readSmall(path.join(g.dirs.pids, 'pids.events'));
    if (this.version === 1) {
      const oom = readSmall(path.join(g.dirs.memory, 'memory.oom_control'));
      if (intOf(oom, 'oom_kill') > 0) return 'memoryMb';
      const failcnt = Number(readSmall(path.join(g.dirs.memory, 'memory.failcnt')).trim() || '0');
      if (intOf(pidsEvents, 'max') > 0) return 'processes';
      return failcnt > 0 && intOf(oom, 'under_oom') > 0 ? 'memoryMb' : undefined;
    }
    const memEvents = readSmall(path.join(g.dirs.memory, 'memory.events'));
    if (intOf(memEvents, 'oom_kill') > 0) return 'memoryMb';
    return intOf(pidsEvents, 'max') > 0 ? 'processes' : undefined;
  }

  /** Nothing of the node outlives this; its groups are kept for the next node or removed in the background (close waits for them). */
  private async release(g: Groups): Promise<void> {
    const key = `${g.processes}/${g.memoryMb}`;
    const emptied = this.emptied.get(key) ?? [];
    this.emptied.set(key, emptied);
    if (emptied.length < EMPTIED_KEPT && this.reusable(g)) {
      emptied.push(g);
      return;
    }
    // Every process of the step is in all its groups: one empty list means none is left.
    if (readSmall(path.join(g.dirs.pids, 'cgroup.procs')).trim() !== '') for (const d of g.unique) await killAll(d);
    for (const d of g.unique) void this.later(() => removeDir(d));
  }

  /**
   * Whether an ended node's groups can serve another node as they are: no process left in them, and none of the
   * counters `hit` reads has moved (v1's `memory.failcnt`, which reclaim also raises, is set back to 0). Making
   * and removing groups costs the kernel more than a short step itself (a memory group most): a fan-out reuses them.
   */
  private reusable(g: Groups): boolean {
    if (this.closed) return false;
    if (g.unique.some((d) => readSmall(path.join(d, 'cgroup.procs')).trim() !== '')) return false;
    if (intOf(readSmall(path.join(g.dirs.pids, 'pids.events')), 'max') > 0) return false;
    if (this.version === 2) return intOf(readSmall(path.join(g.dirs.memory, 'memory.events')), 'oom_kill') === 0;
    const oom = readSmall(path.join(g.dirs.memory, 'memory.oom_control'));
    if (intOf(oom, 'oom_kill') > 0 || intOf(oom, 'under_oom') > 0) return false;
    try {
      writeFileSync(path.join(g.dirs.memory, 'memory.failcnt'), '0');
      return true;
    } catch {
      return false;
    }
  }

  private async make(processes: number, memoryMb: number): Promise<Groups> {
    const id = String(this.next++);
    const bytes = String(memoryMb * MB);
    const dirs: Groups['dirs'] =
      this.version === 1
        ? { pids: path.join(this.bases.get('pids')!, id), memory: path.join(this.bases.get('memory')!, id) }
        : { pids: path.join(this.bases.get('')!, id), memory: path.join(this.bases.get('')!, id) };
    const unique = [...new Set(Object.values(dirs))];
    for (const d of unique) await mkdir(d, { recursive: true });
    await writeFile(path.join(dirs.pids, 'pids.max'), String(processes));
    if (this.version === 1) {
      await writeFile(path.join(dirs.memory, 'memory.limit_in_bytes'), bytes);
      // With swap accounting, memory+swap gets the same bound (else the step would swap past its limit).
      await writeFile(path.join(dirs.memory, 'memory.memsw.limit_in_bytes'), bytes).catch(() => undefined);
    } else {
      await writeFile(path.join(dirs.memory, 'memory.max'), bytes);
      await writeFile(path.join(dirs.memory, 'memory.swap.max'), '0').catch(() => undefined);
    }
    return { dirs, unique, processes, memoryMb };
  }

  /** Removes the engine's folders (no node may be running). */
  async close(): Promise<void> {
    this.closed = true;
    const groups = [...this.spares.values()].flat();
    this.spares.clear();
    for (const g of [...this.emptied.values()].flat()) groups.push(Promise.resolve(g));
    this.emptied.clear();
    for (const g of groups) await g.then((made) => this.release(made)).catch(() => undefined);
    await this.background;
    for (const dir of this.bases.values()) await removeDir(dir);
  }
}
