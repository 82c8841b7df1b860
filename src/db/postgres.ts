import pg from 'pg';
import type { Db, DedicatedConnection, PreparedStatement, Queryable } from './types.ts';
import { DatabaseUnavailableError, translateInputError } from './errors.ts';

interface PostgresOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  max?: number;
}

// Connection-level failures (server down, refused, reset) become one typed error
// so the HTTP edge can answer 503 instead of 500.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

function translate(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  if ((code && CONNECTION_CODES.has(code)) || /Connection terminated|timeout exceeded when trying to connect/i.test(message)) {
    return new DatabaseUnavailableError('the database server is unreachable', { cause: err });
  }
  return translateInputError(err);
}

/** Queries on a pool or one of its clients, errors translated. */
function wrap(q: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<R[]> {
      try {
        const result = await q.query(sql, params);
        return result.rows as R[];
      } catch (err) {
        throw translate(err);
      }
    },
    async prepared<R>(statement: PreparedStatement, params: unknown[]): Promise<R[]> {
      try {
        // A named query is parsed once per pooled connection and executed by name afterwards.
        const result = await q.query({ name: statement.name, text: statement.text, values: params });
        return result.rows as R[];
      } catch (err) {
        throw translate(err);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // Without parameters pg uses the simple protocol, which allows several statements.
        await q.query(sql);
      } catch (err) {
        throw translate(err);
      }
    },
  };
}

/** Runs `fn` in a transaction on one client of the pool: COMMIT when it resolves, ROLLBACK when it throws. */
async function inTransaction<T>(pool: pg.Pool, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw translate(err);
  }
  const tx = wrap(client);
  try {
    await tx.query('BEGIN');
    const result = await fn(tx);
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** A connection of its own, outside the pool (LISTEN); `onLost` hears once when it fails or ends. */
async function dedicatedConnection(options: PostgresOptions): Promise<DedicatedConnection> {
  const client = new pg.Client({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    connectionTimeoutMillis: 2000,
    // A server that vanishes without closing the socket is noticed by keep-alive probes.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
  });
  let lost: ((err: Error) => void) | undefined;
  let ended = false;
  const lose = (err: Error) => {
    if (ended) return;
    ended = true;
    lost?.(err);
  };
  client.on('error', lose);
  client.on('end', () => lose(new Error('connection ended')));
  try {
    await client.connect();
  } catch (err) {
    ended = true;
    throw translate(err);
  }
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<R[]> {
      try {
        return (await client.query(sql, params)).rows as R[];
      } catch (err) {
        throw translate(err);
      }
    },
    onNotification(listener) {
      client.on('notification', (n) => listener(n.channel, n.payload ?? ''));
    },
    onLost(listener) {
      lost = listener;
    },
    async close() {
      ended = true;
      await client.end().catch(() => {});
    },
  };
}

/** Opens a pooled connection to a PostgreSQL server. */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    max: options.max ?? 10,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server must not crash the process.
  pool.on('error', () => {});
  const base = wrap(pool);
  // Fail fast at startup when the server cannot be reached.
  await base.query('SELECT 1');
  return {
    kind: 'postgres',
    query: base.query,
    prepared: base.prepared,
    exec: base.exec,
    transaction: (fn) => inTransaction(pool, fn),
    dedicated: () => dedicatedConnection(options),
    close: () => pool.end(),
  };
}
