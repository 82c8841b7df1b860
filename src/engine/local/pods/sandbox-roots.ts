/**
 * Root layers for bubblewrap pods. A pod's layer needs a mount point for every host entry bound into it; creating
 * them costs more than the process itself on some disks (a `mkdir` under /tmp here takes ~1 ms), so layers are
 * made ready per sandbox layout before a pod asks. A layer a pod used is never handed to another: on release it
 * is moved aside whole (whatever the pod wrote, chmod-ed, linked, or planted as fifo or socket goes with it, and
 * is removed in the background) and a fresh layer is built in its place for the next pod.
 */
import type { Dirent } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rename, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EtcMirror } from './etc-mirror.ts';
import { type LayerEntry, type Placeholders, type SandboxLayout } from './sandbox-layout.ts';

interface Tree {
  entry: LayerEntry;
  children: Map<string, Tree>;
}

function treeOf(layout: SandboxLayout): Tree {
  const top: Tree = { entry: { kind: 'dir' }, children: new Map() };
  const nodes = new Map<string, Tree>([['/', top]]);
  for (const [p, entry] of layout.entries) {
    const node: Tree = { entry, children: new Map() };
    nodes.set(p, node);
    nodes.get(path.posix.dirname(p))?.children.set(path.posix.basename(p), node);
  }
  return top;
}

async function create(full: string, entry: LayerEntry): Promise<void> {
  if (entry.kind === 'symlink') await symlink(entry.target, full);
  else if (entry.kind === 'mount' && !entry.dir) await writeFile(full, '', { mode: 0o444 });
  else {
    await mkdir(full);
    // mkdir's mode passes through the umask, which would drop /tmp's sticky world-writable bits.
    if (entry.kind === 'dir' && entry.mode !== undefined) await chmod(full, entry.mode);
  }
}

async function build(dir: string, tree: Tree): Promise<void> {
  for (const [name, child] of tree.children) {
    const full = path.join(dir, name);
    await create(full, child.entry);
    if (child.entry.kind !== 'symlink') await build(full, child);
  }
}

/**
 * Removes a tree a pod may have left unreadable (folders chmod-ed to 000 are opened again first; links are
 * removed, never followed).
 */
export async function removeTree(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return;
  if (!st.isDirectory()) {
    await unlink(dir);
    return;
  }
  await chmod(dir, 0o700);
  const children: Dirent[] = await readdir(dir, { withFileTypes: true });
  for (const d of children) await removeTree(path.join(dir, d.name));
  await rmdir(dir);
}

/** Root layers ready for pods, per sandbox layout; `dir` belongs to this pool alone. */
export class RootPool {
  /** Per layout: layers built or being built for the next pods (undefined: that build failed). */
  private readonly free = new Map<string, Promise<string | undefined>[]>();
  private readonly trees = new Map<string, Tree>();
  private next = 0;
  private removing: Promise<void> = Promise.resolve();
  private placeholdersMade: Promise<void> | undefined;
  /** The empty read-only file and folder covering host secrets (sandbox-layout.ts). */
  readonly placeholders: Placeholders;
  /** The pods' copy of /etc (etc-mirror.ts), beside the placeholders. */
  readonly etc: EtcMirror;

  /**
   * Layers live in `dir` (nothing else does); the placeholders and the used layers waiting for removal in
   * `aside`, on the same file system (a used layer is renamed there).
   */
  constructor(
    readonly dir: string,
    readonly aside = `${dir}-aside`,
  ) {
    this.placeholders = { file: path.join(aside, 'cover-file'), dir: path.join(aside, 'cover-dir') };
    this.etc = new EtcMirror(aside);
  }

  /** Makes the pool's folders and placeholders once (a pod on a tmpfs `/` needs the placeholders only). */
  ready(): Promise<void> {
    this.placeholdersMade ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      await mkdir(this.aside, { recursive: true });
      await writeFile(this.placeholders.file, '', { mode: 0o444 });
      await mkdir(this.placeholders.dir, { mode: 0o555 });
    })();
    return this.placeholdersMade;
  }

  private async build(layout: SandboxLayout, root: string): Promise<void> {
    let tree = this.trees.get(layout.key);
    if (!tree) this.trees.set(layout.key, (tree = treeOf(layout)));
    await this.ready();
    await mkdir(root);
    await build(root, tree);
  }

  /** A fresh layer holding exactly `layout`'s entries, for one pod until `release`. */
  async acquire(layout: SandboxLayout): Promise<string> {
    for (let ready = this.free.get(layout.key)?.shift(); ready; ready = this.free.get(layout.key)?.shift()) {
      const root = await ready;
      if (root) return root;
    }
    const root = path.join(this.dir, String(this.next++));
    await this.build(layout, root);
    return root;
  }

  /**
   * Takes the layer a pod used out of reach (moved aside, removed in the background) and builds a fresh one at
   * the same path for the next pod with this layout, off the pod's path (the next `acquire` waits for it).
   */
  async release(root: string, layout: SandboxLayout): Promise<void> {
    const used = path.join(this.aside, `used-${this.next++}`);
    try {
      await rename(root, used);
    } catch {
      await removeTree(root).catch(() => undefined);
      return;
    }
    this.removing = this.removing.then(() => removeTree(used).catch(() => undefined));
    const fresh = this.build(layout, root).then(
      () => root,
      () =>
        removeTree(root).then(
          () => undefined,
          () => undefined,
        ),
    );
    const list = this.free.get(layout.key) ?? [];
    list.push(fresh);
    this.free.set(layout.key, list);
  }

  /** Removes every layer (no pod may be running). */
  async close(): Promise<void> {
    const building = [...this.free.values()].flat();
    this.free.clear();
    await Promise.all([...building, this.etc.close()]);
    await this.removing;
    for (const dir of [this.dir, this.aside]) await removeTree(dir).catch(() => rm(dir, { recursive: true, force: true }));
  }
}
