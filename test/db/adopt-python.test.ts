import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import argon2 from 'argon2';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import { SchemaAdoptionError } from '../../src/db/adopt.ts';
import type { Db } from '../../src/db/types.ts';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { verifyPassword } from '../../src/service/auth/passwords.ts';
import { createDatabase, dbTargets } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';

/** The DDL SQLAlchemy emits on PostgreSQL for the Python service's SQLModel `User` (id SERIAL, name VARCHAR index=True). */
const PYTHON_DDL = `
CREATE TABLE users (
	id SERIAL NOT NULL,
	name VARCHAR NOT NULL,
	password_hash VARCHAR NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ix_users_name ON users (name);
`;

/** What pwdlib's PasswordHash.recommended() writes: argon2-cffi's defaults (argon2id, m=65536, t=3, p=4, 32-byte hash, 16-byte salt). */
async function pwdlibHash(password: string): Promise<string> {
  const hash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4, hashLength: 32 });
  // argon2-cffi writes the parameters as m,t,p; the npm package as m,p,t. Same salt and hash, pwdlib's text.
  return hash.replace('$m=65536,p=4,t=3$', '$m=65536,t=3,p=4$');
}

interface Target {
  name: string;
  /** An empty, unmigrated database and, for PostgreSQL, its settings (to start the service on it). */
  open(): Promise<{ db: Db; config?: DatabaseConfig }>;
}

const targets: Target[] = [{ name: 'pglite', open: async () => ({ db: await openPglite(undefined) }) }];
if (process.env.OGDC_TEST_PG_URL) {
  targets.push({
    name: 'postgres',
    async open() {
      const config = await createDatabase(new URL(process.env.OGDC_TEST_PG_URL!), 'ogdc_adopt');
      return { db: await openPostgres(config), config };
    },
  });
}

/** Everything about the schema a refused adoption must leave as it was. */
async function schemaSnapshot(db: Db): Promise<unknown> {
  return {
    tables: await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`),
    columns: await db.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position`,
    ),
    indexes: await db.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1`),
    rows: await db.query('SELECT row_to_json(u)::text AS row FROM users u ORDER BY 1'),
  };
}

for (const target of targets) {
  describe(`taking over the Python service's database on ${target.name}`, () => {
    const hashes = new Map<string, string>();
    before(async () => {
      for (const name of ['admin', 'alice', 'bob']) hashes.set(name, await pwdlibHash(`${name}-secret`));
    });

    const pythonDb = async (extra = '') => {
      const opened = await target.open();
      await opened.db.exec(PYTHON_DDL);
      for (const name of ['admin', 'alice', 'bob']) {
        await opened.db.query('INSERT INTO users (name, password_hash) VALUES ($1, $2)', [name, hashes.get(name)]);
      }
      if (extra) await opened.db.exec(extra);
      return opened;
    };

    it('keeps every user with id, name and password, makes admin the administrator, and applies every migration', async () => {
      const { db, config } = await pythonDb();
      try {
        assert.match(hashes.get('alice')!, /^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
        const before = await db.query<{ id: number; name: string }>('SELECT id, name FROM users ORDER BY id');
        const applied = await migrate(db);
        // Every migration of ours, in order, in the one adopting transaction.
        const ours = readdirSync(new URL('../../src/db/migrations/', import.meta.url))
          .filter((f) => f.endsWith('.sql'))
          .sort()
          .map((f) => f.replace(/\.sql$/, ''));
        assert.deepEqual(applied, ours);
        const after = await db.query<{ id: string; name: string; password_hash: string; is_admin: boolean }>(
          'SELECT id, name, password_hash, is_admin FROM users ORDER BY id',
        );
        assert.deepEqual(
          after.map((u) => [Number(u.id), u.name]),
          before.map((u) => [u.id, u.name]),
        );
        for (const u of after) {
          assert.equal(u.password_hash, hashes.get(u.name));
          assert.equal(await verifyPassword(u.password_hash, `${u.name}-secret`), true, u.name);
          assert.equal(await verifyPassword(u.password_hash, 'wrong'), false, u.name);
          assert.equal(u.is_admin, u.name === 'admin');
        }
        // Names are unique now, and new users continue the old id sequence.
        await assert.rejects(db.query(`INSERT INTO users (name, password_hash) VALUES ('alice', 'x')`), { code: '23505' });
        const [carol] = await db.query<{ id: string }>(`INSERT INTO users (name, password_hash) VALUES ('carol', 'x') RETURNING id`);
        assert.ok(Number(carol!.id) > 3, carol!.id);
        // A second start has nothing left to do.
        assert.deepEqual(await migrate(db), []);
      } finally {
        await db.close();
      }
      if (config) {
        // The whole service on the adopted database: the Python users log in with their old passwords.
        const svc = await startTestService(dbTargets()[0]!, { OGDC_ADMIN_PASSWORD: 'not-used' }, { dbConfig: config });
        try {
          assert.ok(await svc.token('alice', 'alice-secret'));
          assert.ok(await svc.token('admin', 'admin-secret'));
          const res = await svc.app.inject({
            method: 'POST',
            url: '/create_user',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Bearer ${await svc.token('admin', 'admin-secret')}`,
            },
            payload: 'username=dave&password=dave-password',
          });
          assert.equal(res.statusCode, 200, res.body);
        } finally {
          await svc.stop();
        }
      }
    });

    it('stops on duplicate names, listing them, and changes nothing', async () => {
      const { db, config } = await pythonDb();
      try {
        await db.query('INSERT INTO users (name, password_hash) VALUES ($1, $2), ($1, $2), ($3, $2)', ['alice', hashes.get('bob'), 'bob']);
        const snapshot = await schemaSnapshot(db);
        await assert.rejects(migrate(db), (err: Error) => {
          assert.ok(err instanceof SchemaAdoptionError);
          assert.match(err.message, /table "users", column "name": 2 name\(s\) belong to more than one user/);
          assert.match(err.message, /"alice" \(ids 2, 4, 5\); "bob" \(ids 3, 6\)/);
          assert.match(err.message, /nothing was changed/);
          return true;
        });
        assert.deepEqual(await schemaSnapshot(db), snapshot);
        if (config) {
          // The service does not start on it.
          await assert.rejects(startTestService(dbTargets()[0]!, {}, { dbConfig: config }), /table "users", column "name"/);
          assert.deepEqual(await schemaSnapshot(db), snapshot);
        }
        // Once resolved, the adoption goes through.
        await db.query(`DELETE FROM users WHERE id IN (4, 5, 6)`);
        assert.equal(
          (await migrate(db)).length,
          readdirSync(new URL('../../src/db/migrations/', import.meta.url)).filter((f) => f.endsWith('.sql')).length,
        );
      } finally {
        await db.close();
      }
    });

    const unexpected: Array<[string, string, RegExp]> = [
      [
        'an extra column',
        'ALTER TABLE users ADD COLUMN email VARCHAR;',
        /^table "users", column "email": not a column of the Python service's users table/,
      ],
      ['a missing column', 'ALTER TABLE users DROP COLUMN password_hash;', /^table "users", column "password_hash": missing/],
      [
        'a column of another type',
        'ALTER TABLE users ALTER COLUMN name TYPE jsonb USING to_jsonb(name);',
        /^table "users", column "name": type jsonb, expected text/,
      ],
      ['a nullable column', 'ALTER TABLE users ALTER COLUMN name DROP NOT NULL;', /^table "users", column "name": allows NULL/],
      [
        'a table of ours already there',
        'CREATE TABLE recipe_runs (id int);',
        /^migration 002_recipe_runs: .*"recipe_runs" already exists; nothing was changed$/,
      ],
    ];
    // The shape checks are the same SQL on both; PGlite is slow to open, so they run on PostgreSQL when there is one.
    for (const [what, sql, message] of target.name === 'pglite' && targets.length > 1 ? [] : unexpected) {
      it(`stops on ${what}, naming the table and column, and changes nothing`, async () => {
        const { db } = await pythonDb(sql);
        try {
          const snapshot = await schemaSnapshot(db);
          await assert.rejects(migrate(db), (err: Error) => err instanceof SchemaAdoptionError && message.test(err.message));
          assert.deepEqual(await schemaSnapshot(db), snapshot);
        } finally {
          await db.close();
        }
      });
    }

    it('stops when a password hash is not argon2, naming the users', async () => {
      const { db } = await pythonDb();
      try {
        await db.query(`INSERT INTO users (name, password_hash) VALUES ('old', '$2b$12$abcdefghijklmnopqrstuv')`);
        const snapshot = await schemaSnapshot(db);
        await assert.rejects(migrate(db), /table "users", column "password_hash": not an argon2 hash for "old"/);
        assert.deepEqual(await schemaSnapshot(db), snapshot);
      } finally {
        await db.close();
      }
    });
  });
}
