/**
 * A PostgreSQL server for the benchmark: a fresh database on the server
 * OGDC_TEST_PG_URL names, or else a throwaway cluster of the local
 * PostgreSQL 15 binaries (initdb refuses root, so it runs as `postgres`).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BenchSetupError } from './errors.ts';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface BenchPostgres {
  /** `OGDC_DB_*` variables naming a fresh, empty database. */
  env: Record<string, string>;
  /** Where it came from, for the report. */
  origin: string;
  stop(): Promise<void>;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new BenchSetupError('PostgreSQL', `${path.basename(args[2] ?? command)} failed: ${stderr || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function createDatabase(url: URL): Promise<string> {
  const name = `ogdc_bench_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return name;
}

async function dropDatabase(url: URL, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function envFor(url: URL, database: string): Record<string, string> {
  return {
    OGDC_DB_HOST: `${url.hostname}:${url.port || 5432}`,
    OGDC_DB_USERNAME: decodeURIComponent(url.username),
    OGDC_DB_PASSWORD: decodeURIComponent(url.password) || 'unused',
    OGDC_DB_NAME: database,
  };
}

async function onServer(raw: string): Promise<BenchPostgres> {
  const url = new URL(raw);
  const database = await createDatabase(url);
  return { env: envFor(url, database), origin: `OGDC_TEST_PG_URL (${url.host})`, stop: () => dropDatabase(url, database) };
}

async function ownCluster(): Promise<BenchPostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bench-pg-'));
  const uid = Number(await run('id', ['-u', 'postgres']));
  const gid = Number(await run('id', ['-g', 'postgres']));
  await chown(dir, uid, gid);
  const data = path.join(dir, 'data');
  const asPostgres = (bin: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args]);
  let started = false;
  try {
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', 'start']);
    started = true;
    const url = new URL(`postgres://postgres:bench@127.0.0.1:${port}/postgres`);
    const database = await createDatabase(url);
    return {
      env: envFor(url, database),
      origin: `throwaway cluster (${PG_BIN}, port ${port}, fsync off)`,
      async stop() {
        await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (started) await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** PostgreSQL from OGDC_TEST_PG_URL, else a cluster of its own; undefined (with the reason) when neither is possible. */
export async function startPostgres(env: Record<string, string | undefined> = process.env): Promise<BenchPostgres | { unavailable: string }> {
  if (env.OGDC_TEST_PG_URL) return onServer(env.OGDC_TEST_PG_URL);
  if (!existsSync(path.join(PG_BIN, 'initdb'))) return { unavailable: `no PostgreSQL binaries in ${PG_BIN} and OGDC_TEST_PG_URL is unset` };
  return ownCluster();
}
