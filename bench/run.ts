/**
 * `npm run bench [-- --json --duration SECONDS --repeats N --submissions N]`: compiles dist/
 * (`node scripts/build.mjs`), starts the service as users run it (PGlite
 * and PostgreSQL), the floors and the stand-ins as separate processes, drives
 * load with wrk, and prints the figures with their targets. Never part of
 * `npm test`: it takes minutes and its figures depend on the machine.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureFanout } from './fanout.ts';
import { measureFirstPod } from './first-pod.ts';
import { startBareFastify, startBarePglite } from './floors.ts';
import { measureManifest } from './manifest.ts';
import { buildDist } from './dist.ts';
import { argoSubmitPhase, pagePhase, pglitePhase, postgresPhase, startInputServer, warnLogPhase, type PhaseSettings } from './phases.ts';
import type { BenchProcess } from './process.ts';
import { formatJson, formatTable, type BenchResults } from './report.ts';
import { throughput } from './load.ts';
import { scalePhase } from './scale.ts';

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function machine(): BenchResults['machine'] {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const totalKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return {
    nproc: os.availableParallelism(),
    memory: `${(totalKb / 1024 / 1024).toFixed(1)} GiB`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    date: new Date().toISOString(),
  };
}

async function idleRss(start: () => Promise<BenchProcess>): Promise<number> {
  const proc = await start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return await proc.rssBytes();
  } finally {
    await proc.stop();
  }
}

async function floors(settings: PhaseSettings): Promise<BenchResults['floor']> {
  const dbDir = path.join(settings.root, 'bare-pglite');
  const pgliteRssBytes = await idleRss(() => startBarePglite(dbDir));
  const pgliteRestartRssBytes = await idleRss(() => startBarePglite(dbDir));
  const fastify = await startBareFastify();
  try {
    const user = await throughput(`${fastify.url}/user`, settings);
    return { user, pgliteRssBytes, pgliteRestartRssBytes };
  } finally {
    await fastify.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      duration: { type: 'string', default: '5' },
      submissions: { type: 'string', default: '40' },
      repeats: { type: 'string', default: '2' },
    },
  });
  const durationSeconds = Number(values.duration);
  const submissions = Number(values.submissions);
  if (!Number.isInteger(durationSeconds) || durationSeconds < 1)
    throw new Error(`--duration must be a whole number of seconds, got "${values.duration}"`);
  if (!Number.isInteger(submissions) || submissions < 5)
    throw new Error(`--submissions must be a whole number ≥ 5, got "${values.submissions}"`);

  if (!Number.isInteger(Number(values.repeats)) || Number(values.repeats) < 1)
    throw new Error(`--repeats must be a whole number ≥ 1, got "${values.repeats}"`);
  const root = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bench-'));
  const input = await startInputServer();
  const settings: PhaseSettings = {
    durationSeconds,
    connections: 16,
    repeats: Number(values.repeats),
    tokenConnections: os.availableParallelism(),
    root,
    inputUrl: input.url,
    submissions,
    progress,
    launches: [],
  };
  try {
    progress('node scripts/build.mjs: compiling src/ to dist/, which bin/ogdc-runner.js then runs');
    await buildDist();
    progress('manifests of 1,000 and 100,000 inputs');
    const manifests = [measureManifest(1000), measureManifest(100_000)];
    progress('local engine fan-out of 500 steps against bare processes');
    const fanout = await measureFanout(500);
    progress('run-workflow: time to the first step and per further step');
    const firstPod = await measureFirstPod();
    progress('floors: bare PGlite memory, bare Fastify throughput');
    const floor = await floors(settings);
    progress('service on PGlite');
    const pglite = await pglitePhase(settings);
    progress('service on PGlite with OGDC_LOG_LEVEL=warn');
    const userAtWarn = await warnLogPhase(settings);
    progress('service on PostgreSQL');
    const postgres = await postgresPhase(settings);
    progress('service with the Argo Server stand-in');
    const argoSubmit = await argoSubmitPhase(settings);
    progress('status by subscription: PostgreSQL, the Argo stand-in, many workflows and pollers');
    const scale = await scalePhase(settings);
    progress('the web page: first load and the run event fan-out');
    const page = await pagePhase(settings, 200);

    const results: BenchResults = {
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machine(),
      settings: {
        durationSeconds,
        connections: settings.connections,
        tokenConnections: settings.tokenConnections,
        repeats: settings.repeats,
      },
      floor,
      pglite: pglite.figures,
      postgres,
      userAtWarn,
      tokenLoad: pglite.tokenLoad,
      submit: { argo: argoSubmit, local: pglite.submitLocal },
      manifests,
      fanout,
      firstPod,
      scale,
      page,
      launches: settings.launches,
    };
    if (values.json) {
      process.stderr.write(formatTable(results));
      process.stdout.write(formatJson(results));
    } else {
      process.stdout.write(formatTable(results));
    }
    return 0;
  } finally {
    await input.close();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
