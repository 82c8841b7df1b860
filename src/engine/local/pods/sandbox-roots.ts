/**
 * Reusable root layers for bubblewrap pods. A pod's layer needs a mount point for every host entry bound into
 * it; creating those ~30 folders and files costs more than the process itself on some disks (a `mkdir` under
 * /tmp here takes ~1 ms), so layers are kept per sandbox layout and, between pods, wiped back to their entries:
 * whatever a pod wrote (its /tmp, /output_dir, input artifacts…) is removed before the next pod gets the layer.
 */
import type { Dirent } from 'node:fs';
import { chmod, mkdir, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LayerEntry, SandboxLayout } from './sandbox-layout.ts';

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

async function matches(full: string, d: Dirent, entry: LayerEntry): Promise<boolean> {
  if (entry.kind === 'symlink') return d.isSymbolicLink() && (await readlink(full)) === entry.target;
  if (entry.kind === 'mount' && !entry.dir) return d.isFile();
  return d.isDirectory();
}

/** Brings `dir` back to `tree`: removes what the pod added or changed, recreates what it removed. */
async function wipe(dir: string, tree: Tree): Promise<void> {
  const seen = new Set<string>();
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, d.name);
    const want = tree.children.get(d.name);
    if (want && (await matches(full, d, want.entry))) {
      seen.add(d.name);
      // Mount points were covered while the pod ran: nothing can have been written into them (entries below one
      // are mount points of the layer's own folders, bound on top).
      if (want.entry.kind === 'dir' || (want.entry.kind === 'mount' && want.children.size > 0)) await wipe(full, want);
    } else await rm(full, { recursive: true, force: true });
  }
  for (const [name, child] of tree.children) {
    if (seen.has(name)) continue;
    await create(path.join(dir, name), child.entry);
    if (child.entry.kind !== 'symlink') await build(path.join(dir, name), child);
  }
}

/** Root layers ready for pods, per sandbox layout; `dir` belongs to this pool alone. */
export class RootPool {
  private readonly free = new Map<string, string[]>();
  private readonly trees = new Map<string, Tree>();
  private next = 0;

  constructor(readonly dir: string) {}

  /** A layer holding exactly `layout`'s entries, for one pod until `release`. */
  async acquire(layout: SandboxLayout): Promise<string> {
    const ready = this.free.get(layout.key)?.pop();
    if (ready) return ready;
    let tree = this.trees.get(layout.key);
    if (!tree) this.trees.set(layout.key, (tree = treeOf(layout)));
    const root = path.join(this.dir, String(this.next++));
    await mkdir(root, { recursive: true });
    await build(root, tree);
    return root;
  }

  /** Wipes what the pod left in `root` and keeps it for the next pod with this layout (dropped if that fails). */
  async release(root: string, layout: SandboxLayout): Promise<void> {
    try {
      await wipe(root, this.trees.get(layout.key)!);
    } catch {
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
      return;
    }
    const list = this.free.get(layout.key) ?? [];
    list.push(root);
    this.free.set(layout.key, list);
  }

  /** Removes every layer (no pod may be running). */
  async close(): Promise<void> {
    this.free.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}
