/**
 * The local artifact repository: one folder, `<dataDir>/artifacts/`, an object per key (SEMANTICS §11).
 * Default archive is tar.gz with a single top-level entry; `archive: {none: {}}` stores raw bytes, a directory
 * then becoming one object per file under the key.
 */
import { createReadStream } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactNotFoundError } from '../../errors.ts';

export class ArtifactStore {
  constructor(readonly root: string) {}

  /** The file (or folder, for prefixes) holding `key`; refuses keys that climb out of the store. */
  pathOf(key: string): string {
    const clean = path.posix.normalize(key.replace(/^\/+/, ''));
    if (clean === '.' || clean.startsWith('..')) throw new ArtifactNotFoundError(key);
    return path.join(this.root, clean);
  }

  /**
   * `pathOf(key)`, refusing a key whose existing folders or file below the root include a symbolic link: a link a
   * step saved in a folder output (kept as a link) must not lead the engine into another run's artifacts or the host.
   */
  async resolve(key: string): Promise<string> {
    const file = this.pathOf(key);
    let at = this.root;
    for (const part of path.relative(this.root, file).split(path.sep)) {
      at = path.join(at, part);
      const info = await lstat(at).catch(() => undefined);
      if (!info) break;
      if (info.isSymbolicLink()) throw new ArtifactLinkError(key);
    }
    return file;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const file = await this.resolve(key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
  }

  async get(key: string): Promise<NodeJS.ReadableStream> {
    const file = await this.resolve(key).catch(() => {
      throw new ArtifactNotFoundError(key);
    });
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new ArtifactNotFoundError(key);
    return createReadStream(file);
  }

  /** Whether `key` names an object or a prefix. */
  async exists(key: string): Promise<boolean> {
    const file = await this.resolve(key).catch(() => undefined);
    return file !== undefined && (await stat(file).catch(() => undefined)) !== undefined;
  }

  /** Saves the file or folder at `source` under `key`; false when `source` does not exist. */
  async save(source: string, key: string, archive: 'tgz' | 'none'): Promise<boolean> {
    const info = await stat(source).catch(() => undefined);
    if (!info) return false;
    const dest = await this.resolve(key);
    await mkdir(path.dirname(dest), { recursive: true });
    if (archive === 'none') {
      await rm(dest, { recursive: true, force: true });
      // Links are kept as the step wrote them (never made absolute); resolve() refuses keys through them.
      await cp(source, dest, { recursive: true, verbatimSymlinks: true });
    } else {
      // tar loads on first use: most runs (and run-workflow's start) archive nothing.
      const tar = await import('tar');
      await tar.create({ gzip: true, file: dest, cwd: path.dirname(source), portable: true }, [path.basename(source)]);
    }
    return true;
  }

  /** Loads `key` to `dest` (a tar.gz is unpacked so its single entry lands at `dest`); false when missing. */
  async load(key: string, dest: string, archive: 'auto' | 'none'): Promise<boolean> {
    const source = await this.resolve(key);
    const info = await stat(source).catch(() => undefined);
    if (!info) return false;
    await mkdir(path.dirname(dest), { recursive: true });
    await rm(dest, { recursive: true, force: true });
    if (info.isDirectory()) {
      await cp(source, dest, { recursive: true, verbatimSymlinks: true });
    } else if (archive === 'auto' && (await isGzip(source))) {
      await unpackSingleEntry(source, dest);
    } else {
      await cp(source, dest);
    }
    return true;
  }

  /** Keys of every object at or under `prefix` (all of them for an empty prefix), sorted as S3 lists them. */
  async list(prefix: string): Promise<string[]> {
    const clean = path.posix.normalize(prefix.replace(/^\/+/, ''));
    const start = clean === '.' || clean === '' ? this.root : this.pathOf(prefix);
    const info = await stat(start).catch(() => undefined);
    if (!info) return [];
    if (info.isFile()) return [path.relative(this.root, start).split(path.sep).join('/')];
    const entries = await readdir(start, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }
}

/** A key that passes through a symbolic link in the store. */
class ArtifactLinkError extends Error {
  constructor(readonly key: string) {
    super(`artifact key '${key}' passes through a symbolic link in the artifact repository`);
    this.name = 'ArtifactLinkError';
  }
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function unpackSingleEntry(archive: string, dest: string): Promise<void> {
  const tmp = await mkdtemp(path.join(path.dirname(dest), '.unpack-'));
  try {
    const tar = await import('tar');
    await tar.extract({ file: archive, cwd: tmp });
    const entries = await readdir(tmp);
    if (entries.length === 1) {
      await rename(path.join(tmp, entries[0]!), dest);
    } else {
      // Several top-level entries: the destination becomes a folder holding them all.
      await rename(tmp, dest);
      return;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
