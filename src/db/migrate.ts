import { readdir, readFile } from 'node:fs/promises';
import { adoptPythonUsers, SchemaAdoptionError } from './adopt.ts';
import type { Db, Queryable } from './types.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

interface Migration {
  version: number;
  name: string;
  sql: string;
}

async function loadMigrations(): Promise<Migration[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number(file.slice(0, 3)),
      name: file.replace(/\.sql$/, ''),
      sql: await readFile(new URL(file, MIGRATIONS_DIR), 'utf8'),
    })),
  );
}

const LOCK = 'SELECT pg_advisory_xact_lock(4242001)';
const TRACKING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies every migration in `migrations/` not yet recorded, each in its own transaction. A database that has a
 * `users` table but no record of migrations is the Python service's: it is adopted (see adopt.ts) and every
 * migration applied in one transaction, so a refusal or a failure leaves it untouched.
 */
export async function migrate(db: Db): Promise<string[]> {
  const migrations = await loadMigrations();
  const applied: string[] = [];
  if (await isForeign(db)) {
    const adopted = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      // Another instance may have adopted it while this one waited for the lock.
      if (!(await isForeign(tx))) return false;
      await tx.exec(TRACKING);
      await adoptPythonUsers(tx);
      for (const m of migrations) {
        if (m.version === 1) await record(tx, m);
        else await apply(tx, m);
        applied.push(m.name);
      }
      return true;
    });
    if (adopted) return applied;
  }
  await db.query(TRACKING);
  for (const m of migrations) {
    await db.transaction(async (tx) => {
      // Several service instances may start together: one applies, the others wait and skip.
      await tx.query(LOCK);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (done.length > 0) return;
      await apply(tx, m);
      applied.push(m.name);
    });
  }
  return applied;
}

/** A `users` table with no migration record of ours. */
async function isForeign(q: Queryable): Promise<boolean> {
  const [row] = await q.query<{ users: boolean; tracked: boolean }>(
    `SELECT to_regclass('users') IS NOT NULL AS users, to_regclass('schema_migrations') IS NOT NULL AS tracked`,
  );
  if (!row!.users) return false;
  if (!row!.tracked) return true;
  return (await q.query('SELECT 1 FROM schema_migrations WHERE version = 1')).length === 0;
}

async function apply(tx: Queryable, m: Migration): Promise<void> {
  try {
    await tx.exec(m.sql);
  } catch (err) {
    // 42P07 duplicate_table: a table of ours already exists in a database being adopted.
    if ((err as { code?: string }).code === '42P07')
      throw new SchemaAdoptionError(`migration ${m.name}: ${(err as Error).message}; nothing was changed`);
    throw err;
  }
  await record(tx, m);
}

async function record(tx: Queryable, m: Migration): Promise<void> {
  await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
}
