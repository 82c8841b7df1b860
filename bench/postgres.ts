/**
 * A PostgreSQL server for the benchmark: a fresh database on the server
 * OGDC_TEST_PG_URL names, or else a throwaway cluster of the local
 * PostgreSQL 15 binaries, started as the tests start theirs.
 */
import pg from 'pg';
import type { DatabaseConfig } from '../src/config/index.ts';
import { createDatabase } from '../test/helpers/db.ts';
import { pgClusterSkipReason, startPgCluster } from '../test/helpers/pg-cluster.ts';

interface BenchPostgres {
  /** `OGDC_DB_*` variables naming a fresh, empty database. */
  env: Record<string, string>;
  /** Where it came from, for the report. */
  origin: string;
  stop(): Promise<void>;
}

type ServerConfig = DatabaseConfig & { kind: 'postgres' };

function envFor(db: ServerConfig): Record<string, string> {
  return {
    OGDC_DB_HOST: `${db.host}:${db.port}`,
    OGDC_DB_USERNAME: db.user,
    OGDC_DB_PASSWORD: db.password || 'unused',
    OGDC_DB_NAME: db.database,
  };
}

function urlOf(db: ServerConfig): URL {
  return new URL(`postgres://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@${db.host}:${db.port}/${db.database}`);
}

async function dropDatabase(server: URL, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** PostgreSQL from OGDC_TEST_PG_URL, else a cluster of its own; the reason when neither is possible. */
export async function startPostgres(
  env: Record<string, string | undefined> = process.env,
): Promise<BenchPostgres | { unavailable: string }> {
  if (env.OGDC_TEST_PG_URL) {
    const server = new URL(env.OGDC_TEST_PG_URL);
    const db = await createDatabase(server, 'ogdc_bench');
    return { env: envFor(db), origin: `OGDC_TEST_PG_URL (${server.host})`, stop: () => dropDatabase(server, db.database) };
  }
  const reason = pgClusterSkipReason();
  if (reason) return { unavailable: `${reason}, and OGDC_TEST_PG_URL is unset` };
  const cluster = await startPgCluster();
  try {
    const db = await createDatabase(urlOf(cluster.config), 'ogdc_bench');
    return { env: envFor(db), origin: `throwaway cluster (127.0.0.1:${db.port}, fsync off)`, stop: () => cluster.destroy() };
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
}
