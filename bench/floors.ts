/**
 * The floors the service is compared with, as plain-node child processes
 * (no tsx loader, no application code): a bare Fastify server answering
 * `/user`'s JSON, and a process that only opens PGlite.
 */
import { startProcess, type BenchProcess } from './process.ts';
import { REPO_ROOT } from './service.ts';

const BARE_FASTIFY = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/user', async () => ({ current_user: 'admin' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log('listening on ' + address);
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

const BARE_PGLITE = `
import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create(process.argv[1]);
await db.query('SELECT 1');
console.log('pglite open');
process.once('SIGTERM', () => db.close().then(() => process.exit(0)));
setInterval(() => {}, 1 << 30);
`;

// Evaluated code resolves bare imports from the working directory: the repo's node_modules.
function evalModule(label: string, code: string, readyPattern: RegExp, extraArgs: string[] = []): Promise<BenchProcess> {
  return startProcess({
    label,
    command: process.execPath,
    args: ['--input-type=module', '-e', code, ...extraArgs],
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    readyPattern,
  });
}

/** The throughput floor: Fastify with one route and no logging, auth or database. */
export async function startBareFastify(): Promise<BenchProcess & { url: string }> {
  const proc = await evalModule('bare Fastify', BARE_FASTIFY, /listening on (http:\/\/[^/\s]+)/);
  return { ...proc, url: proc.ready };
}

/** The memory floor of the embedded mode: a node process holding one open PGlite database in `dbDir` (created when absent). */
export function startBarePglite(dbDir: string): Promise<BenchProcess> {
  return evalModule('bare PGlite', BARE_PGLITE, /pglite open/, [dbDir]);
}
