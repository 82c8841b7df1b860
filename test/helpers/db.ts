import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPglite, pgliteMemoryImage } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { Db } from '../../src/db/types.ts';
import type { DatabaseConfig } from '../../src/config/index.ts';

/**
 * A database the tests can run on. PGlite always; PostgreSQL when
 * OGDC_TEST_PG_URL (postgres://user:pass@host:port/db) names a server, as .ci/run does.
 */
export interface DbTarget {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated, empty database of its own, closed by the caller. */
  open(): Promise<Db>;
  /** Config pointing at a fresh empty database (for tests that start the whole service). */
  freshConfig(dataDir: string): Promise<DatabaseConfig>;
}

function serverUrl(): URL | undefined {
  const raw = process.env.OGDC_TEST_PG_URL;
  return raw ? new URL(raw) : undefined;
}

/** Creates a fresh, empty database on the server `url` names and returns its connection settings. */
export async function createDatabase(url: URL, prefix = 'ogdc_test'): Promise<DatabaseConfig & { kind: 'postgres' }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return {
    kind: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: name,
  };
}

/**
 * Migrated PGlite databases are made once per test run and copied for each test (initdb takes ~2.5 s, a copy a
 * fraction), kept where the test command keeps Argo's compiled schema, or in a folder of the system's temporary
 * one. They are named by what shapes them (the migrations and PGlite's version), so a changed migration never
 * reuses an old one.
 */
const cacheDir = () => process.env.OGDC_SCHEMA_CACHE_DIR ?? path.join(os.tmpdir(), 'ogdc-test-pglite');
const repo = path.resolve(import.meta.dirname, '../..');

function shapeKey(): string {
  const hash = createHash('sha256');
  const migrations = path.join(repo, 'src/db/migrations');
  for (const name of readdirSync(migrations).sort()) hash.update(name).update(readFileSync(path.join(migrations, name)));
  hash.update(readFileSync(path.join(repo, 'node_modules/@electric-sql/pglite/package.json')));
  return hash.digest('hex').slice(0, 16);
}

/** `target` made by `make(tmp)` at a temporary path and renamed into place (another test file may race). */
async function cached(target: string, make: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await make(tmp);
  await rename(tmp, target).catch(() => rm(tmp, { recursive: true, force: true }));
  return target;
}

let memoryImage: Promise<Blob> | undefined;
function migratedImage(): Promise<Blob> {
  memoryImage ??= (async () => {
    const file = await cached(path.join(cacheDir(), `memory-${shapeKey()}.tar`), async (tmp) => {
      await writeFile(tmp, Buffer.from(await (await pgliteMemoryImage(migrate)).arrayBuffer()));
    });
    return new Blob([await readFile(file)]);
  })();
  return memoryImage;
}

/** A migrated on-disk PGlite folder copied to `dataDir` (which must not exist yet). */
async function migratedFolder(dataDir: string): Promise<void> {
  const template = await cached(path.join(cacheDir(), `folder-${shapeKey()}`), async (tmp) => {
    const db = await openPglite(tmp);
    await migrate(db);
    await db.close();
  });
  await cp(template, dataDir, { recursive: true });
}

/** The databases every database test runs on. */
export function dbTargets(): DbTarget[] {
  const targets: DbTarget[] = [
    {
      name: 'pglite',
      async open() {
        const db = await openPglite(undefined, await migratedImage());
        await migrate(db);
        return db;
      },
      async freshConfig(dataDir) {
        if (!existsSync(dataDir)) await migratedFolder(dataDir);
        return { kind: 'pglite', dataDir };
      },
    },
  ];
  const url = serverUrl();
  if (url) {
    targets.push({
      name: 'postgres',
      async open() {
        const db = await openPostgres(await createDatabase(url));
        await migrate(db);
        return db;
      },
      freshConfig: () => createDatabase(url),
    });
  }
  return targets;
}
