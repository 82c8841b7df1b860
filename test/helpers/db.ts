import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite } from '../../src/db/pglite.ts';
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

/** The databases every database test runs on. */
export function dbTargets(): DbTarget[] {
  const targets: DbTarget[] = [
    {
      name: 'pglite',
      async open() {
        const db = await openPglite(undefined);
        await migrate(db);
        return db;
      },
      async freshConfig(dataDir) {
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
