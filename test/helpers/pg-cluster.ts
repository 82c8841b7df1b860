import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { freePort } from './net.ts';

const run = promisify(execFile);

const PG_BIN = process.env.OGDC_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PASSWORD = 'cluster-test-password';

/**
 * A PostgreSQL cluster of a test's own, in a temp dir, that the test may stop
 * and start (outage tests). Never the shared cluster of OGDC_TEST_PG_URL:
 * other test files use that one concurrently.
 */
export interface PgCluster {
  /** Connection settings of the cluster's `postgres` database. */
  config: DatabaseConfig & { kind: 'postgres' };
  /** Stops the server at once (connections are cut, as in a crash or failover). */
  stop(): Promise<void>;
  /** Starts it again on the same port; returns when it accepts connections. */
  start(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

/** Why a private cluster cannot be started here, or undefined when it can. */
export function pgClusterSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to run initdb as the postgres user';
  if (!existsSync(path.join(PG_BIN, 'initdb'))) return `PostgreSQL binaries not found in ${PG_BIN} (set OGDC_TEST_PG_BIN)`;
  return undefined;
}

const asPostgres = (bin: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args]);

/** Creates and starts a throwaway cluster on 127.0.0.1; call `destroy` in `after`. */
export async function startPgCluster(): Promise<PgCluster> {
  const reason = pgClusterSkipReason();
  if (reason) throw new Error(`cannot start a PostgreSQL cluster: ${reason}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-pg-cluster-'));
  const { stdout } = await run('id', ['-u', 'postgres']);
  const uid = Number(stdout.trim());
  await chown(dir, uid, -1);
  const pwfile = path.join(dir, 'pwfile');
  await writeFile(pwfile, `${PASSWORD}\n`);
  await chown(pwfile, uid, -1);
  const data = path.join(dir, 'data');
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync']);
  const port = await freePort();
  const options = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=50`;
  const start = () => asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', options, 'start']).then(() => {});
  const stop = () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).then(() => {});
  await start();
  return {
    config: { kind: 'postgres', host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: 'postgres' },
    start,
    stop,
    async destroy() {
      await stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
