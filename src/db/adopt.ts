import type { Queryable } from './types.ts';

/**
 * Taking over the database of the Python ogdc-runner service (v0.3; v0.4 moved to OpenID Connect but a
 * database it inherited keeps this table). Its SQLModel `User` model creates, on PostgreSQL:
 *
 *   CREATE TABLE users (id SERIAL NOT NULL, name VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, PRIMARY KEY (id));
 *   CREATE INDEX ix_users_name ON users (name);
 *
 * and no migration table. The adoption brings that table to the shape of migration 001 in place, so every
 * user keeps id, name and pwdlib argon2 hash (our verifier reads the same PHC strings). It runs inside the
 * caller's transaction: any refusal below leaves the database exactly as it was.
 */

/** The database is not in a shape this service can take over; the message names the table and column. */
export class SchemaAdoptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaAdoptionError';
  }
}

const EXPECTED: Record<string, { types: string[]; what: string }> = {
  id: { types: ['integer', 'bigint'], what: 'an integer primary key' },
  name: { types: ['character varying', 'text'], what: 'text' },
  password_hash: { types: ['character varying', 'text'], what: 'text' },
};

interface Column {
  column_name: string;
  data_type: string;
  is_nullable: string;
  column_default: string | null;
  is_identity: string;
}

/** Refuses a `users` table that is not the Python service's; returns nothing when it is. */
async function checkShape(tx: Queryable): Promise<void> {
  const columns = await tx.query<Column>(
    `SELECT column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position`,
  );
  const byName = new Map(columns.map((c) => [c.column_name, c]));
  for (const c of columns) {
    if (!(c.column_name in EXPECTED))
      throw new SchemaAdoptionError(
        `table "users", column "${c.column_name}": not a column of the Python service's users table (expected only id, name, password_hash); nothing was changed`,
      );
  }
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const c = byName.get(name);
    if (!c) throw new SchemaAdoptionError(`table "users", column "${name}": missing (expected ${expected.what}); nothing was changed`);
    if (!expected.types.includes(c.data_type))
      throw new SchemaAdoptionError(`table "users", column "${name}": type ${c.data_type}, expected ${expected.what}; nothing was changed`);
    if (c.is_nullable !== 'NO')
      throw new SchemaAdoptionError(`table "users", column "${name}": allows NULL, expected NOT NULL; nothing was changed`);
  }
  const id = byName.get('id')!;
  if (id.is_identity !== 'YES' && !/^nextval\(/.test(id.column_default ?? ''))
    throw new SchemaAdoptionError('table "users", column "id": has no generated default (SERIAL); nothing was changed');
  const pk = await tx.query<{ column: string }>(
    `SELECT a.attname AS column FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = 'users'::regclass AND i.indisprimary`,
  );
  if (pk.length !== 1 || pk[0]!.column !== 'id')
    throw new SchemaAdoptionError('table "users", column "id": is not the primary key; nothing was changed');
}

/** Refuses names held by several rows and hashes our verifier cannot read: either would lose a user's login. */
async function checkRows(tx: Queryable): Promise<void> {
  const duplicates = await tx.query<{ name: string; ids: string }>(
    `SELECT name, string_agg(id::text, ', ' ORDER BY id) AS ids FROM users GROUP BY name HAVING count(*) > 1 ORDER BY name`,
  );
  if (duplicates.length > 0) {
    const list = duplicates.map((d) => `${JSON.stringify(d.name)} (ids ${d.ids})`).join('; ');
    throw new SchemaAdoptionError(
      `table "users", column "name": ${duplicates.length} name(s) belong to more than one user, which this service does not allow: ${list}. ` +
        'Rename or delete the extra rows, then start again; nothing was changed',
    );
  }
  const unreadable = await tx.query<{ name: string }>(
    `SELECT name FROM users WHERE password_hash !~ '^\\$argon2(id|i|d)\\$' ORDER BY name`,
  );
  if (unreadable.length > 0) {
    const list = unreadable.map((u) => JSON.stringify(u.name)).join(', ');
    throw new SchemaAdoptionError(
      `table "users", column "password_hash": not an argon2 hash for ${list}; those users could not log in. Nothing was changed`,
    );
  }
}

/** Brings the Python service's `users` table to migration 001's shape, in the caller's transaction. */
export async function adoptPythonUsers(tx: Queryable): Promise<void> {
  await checkShape(tx);
  await checkRows(tx);
  const [seq] = await tx.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence('users', 'id') AS seq`);
  await tx.exec(`
    ALTER TABLE users
      ALTER COLUMN id TYPE bigint,
      ALTER COLUMN name TYPE text,
      ALTER COLUMN password_hash TYPE text,
      ADD COLUMN is_admin boolean NOT NULL DEFAULT false,
      ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN disabled_at timestamptz;
    CREATE UNIQUE INDEX users_name_key ON users (name);
    DROP INDEX IF EXISTS ix_users_name;
    -- The Python service treated the user named admin as the administrator.
    UPDATE users SET is_admin = true WHERE name = 'admin';
  `);
  // A SERIAL's sequence is integer-typed; ours are bigint like the column.
  if (seq?.seq) await tx.query(`ALTER SEQUENCE ${seq.seq} AS bigint`);
}
