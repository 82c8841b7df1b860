import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './types.ts';
import { DatabaseUnavailableError, translateInputError } from './errors.ts';

/** Opens the embedded database; `dataDir` undefined means in memory (tests). */
export async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  let pg: PGlite;
  try {
    pg = await PGlite.create(dataDir);
  } catch (cause) {
    throw new DatabaseUnavailableError(`cannot open the embedded database in ${dataDir ?? 'memory'}`, { cause });
  }
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<R>(sql: string, params?: unknown[]): Promise<R[]> {
      try {
        const result = await q.query<R>(sql, params as unknown[] | undefined);
        return result.rows;
      } catch (err) {
        throw translateInputError(err);
      }
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: async () => {
      if (!pg.closed) await pg.close();
    },
  };
}
