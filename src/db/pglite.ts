import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pgClient from 'pg';
import type { Db, PreparedStatement, Queryable } from './types.ts';
import { DatabaseUnavailableError, translateInputError } from './errors.ts';

const STATEMENT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The arguments of an `EXECUTE` as SQL literals, or undefined when a value has no
 * plain literal (or holds a NUL, which the ordinary query path reports properly).
 * Strings go through node-postgres's `escapeLiteral` (quotes doubled, backslashes
 * in an E'' literal), so a value can never end the literal.
 *
 * Why not parameters: PGlite runs every `query()` as six protocol round trips into
 * its WebAssembly Postgres (parse, describe, bind, describe, execute, sync), which
 * parse and plan the statement again each time; `EXECUTE` of a prepared statement
 * is one round trip and no planning, about 3.5× cheaper (47 µs against 165 µs for
 * the user lookup that every login makes), and it runs on the service's event loop.
 */
export function sqlLiterals(params: unknown[]): string | undefined {
  const out: string[] = [];
  for (const value of params) {
    if (value === null || value === undefined) out.push('NULL');
    else if (typeof value === 'string') {
      if (value.includes('\0')) return undefined;
      out.push(pgClient.escapeLiteral(value));
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return undefined;
      out.push(String(value));
    } else if (typeof value === 'bigint') out.push(String(value));
    else if (typeof value === 'boolean') out.push(value ? 'TRUE' : 'FALSE');
    else if (value instanceof Date && !Number.isNaN(value.getTime())) out.push(pgClient.escapeLiteral(value.toISOString()));
    else return undefined;
  }
  return out.join(', ');
}

/**
 * Opens the embedded database; `dataDir` undefined means in memory (tests), then starting from `image` (a dump
 * of another in-memory database, `pgliteMemoryImage`) when one is given instead of running initdb.
 */
export async function openPglite(dataDir: string | undefined, image?: Blob): Promise<Db> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  let pg: PGlite;
  try {
    pg = dataDir || !image ? await PGlite.create(dataDir) : await PGlite.create({ loadDataDir: image });
  } catch (cause) {
    throw new DatabaseUnavailableError(`cannot open the embedded database in ${dataDir ?? 'memory'}`, { cause });
  }
  return dbOver(pg);
}

/**
 * An in-memory database's files after `prepare` (the migrations), for `openPglite(undefined, image)`: loading
 * them takes ~0.6 s where initdb takes ~2.5 s, and the tests open hundreds of databases.
 */
export async function pgliteMemoryImage(prepare: (db: Db) => Promise<unknown>): Promise<Blob> {
  const pg = await PGlite.create();
  try {
    await prepare(dbOver(pg));
    return await pg.dumpDataDir('none');
  } finally {
    await pg.close();
  }
}

function dbOver(pg: PGlite): Db {
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>, prepare?: (statement: PreparedStatement) => Promise<void>): Queryable => {
    const query = async <R>(sql: string, params?: unknown[]): Promise<R[]> => {
      try {
        const result = await q.query<R>(sql, params as unknown[] | undefined);
        return result.rows;
      } catch (err) {
        throw translateInputError(err);
      }
    };
    return {
      query,
      async prepared<R>(statement: PreparedStatement, params: unknown[]): Promise<R[]> {
        const args = prepare ? sqlLiterals(params) : undefined;
        // In a transaction, or with values that have no plain literal: the ordinary extended-protocol query.
        if (!prepare || args === undefined) return query<R>(statement.text, params);
        try {
          await prepare(statement);
          const results = await q.exec(`EXECUTE ${statement.name}(${args})`);
          return (results[0]?.rows ?? []) as R[];
        } catch (err) {
          throw translateInputError(err);
        }
      },
      async exec(sql: string): Promise<void> {
        await q.exec(sql);
      },
    };
  };
  // PREPARE runs once per statement for the life of this (single-session) database.
  const preparing = new Map<string, Promise<void>>();
  const prepare = (statement: PreparedStatement): Promise<void> => {
    let ready = preparing.get(statement.name);
    if (!ready) {
      if (!STATEMENT_NAME.test(statement.name)) throw new Error(`invalid prepared statement name "${statement.name}"`);
      ready = pg.exec(`PREPARE ${statement.name} AS ${statement.text}`).then(() => undefined);
      preparing.set(statement.name, ready);
      ready.catch(() => preparing.delete(statement.name));
    }
    return ready;
  };
  const base = wrap(pg, prepare);
  return {
    kind: 'pglite',
    query: base.query,
    prepared: base.prepared,
    exec: base.exec,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: async () => {
      if (!pg.closed) await pg.close();
    },
  };
}
