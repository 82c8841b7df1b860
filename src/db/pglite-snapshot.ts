/**
 * An in-memory embedded database, migrated, started from a snapshot kept in a per-user cache folder: PGlite's
 * initdb is most of `run-workflow`'s start-up, loading a dump of an already migrated database skips it. The
 * snapshot is named by PGlite's version and the migrations' digest; the folder is the user's own (0700), so no
 * other user can plant one.
 */
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { migrate, migrationsDigest } from './migrate.ts';
import { openPglite, type PgliteDb } from './pglite.ts';

function pgliteVersion(): string {
  try {
    // The package exports no package.json: read the one above its entry point.
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const pkg = path.join(path.dirname(entry), '..', 'package.json');
    return String((JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version);
  } catch {
    return 'unknown';
  }
}

/** Opens a migrated in-memory database; `cacheDir` undefined: no snapshot (a plain initdb). */
export async function openMigratedMemoryPglite(cacheDir: string | undefined): Promise<PgliteDb> {
  if (!cacheDir) {
    const db = await openPglite(undefined);
    await migrate(db);
    return db;
  }
  const file = path.join(cacheDir, `pglite-${pgliteVersion()}-${await migrationsDigest()}.tgz`);
  const snapshot = await readFile(file).catch(() => undefined);
  if (snapshot) {
    try {
      const db = await openPglite(undefined, { loadDataDir: new Blob([snapshot]) });
      await migrate(db);
      return db;
    } catch {
      // A damaged snapshot: start afresh and replace it below.
    }
  }
  const db = await openPglite(undefined);
  await migrate(db);
  try {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    if (((await stat(cacheDir)).mode & 0o077) !== 0) await chmod(cacheDir, 0o700);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(await (await db.dumpDataDir()).arrayBuffer()), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // No cache (read-only home): the next start runs initdb again.
  }
  return db;
}
