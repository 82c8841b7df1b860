/**
 * Local-engine overhead: wall time of a 500-item fan-out of `sh -c true`
 * steps against spawning the same 500 processes directly with the same
 * parallelism. The ratio is what the engine adds per step (node bookkeeping,
 * persistence, sandbox, folders).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { migrate } from '../src/db/migrate.ts';
import { openPglite } from '../src/db/pglite.ts';
import type { Workflow } from '../src/engine/types.ts';

export interface FanoutFigure {
  items: number;
  parallelism: number;
  /** The sandbox the engine used for the timed run. */
  sandbox: 'bwrap' | 'none' | 'auto';
  engineMs: number;
  phase: string | undefined;
  bareMs: number;
  ratio: number;
  /** (engine − bare) per item, scaled by the parallelism: the extra time each step costs one slot. */
  overheadPerStepMs: number;
  /** The same fan-out on an engine without sandbox (steps as host processes). */
  unsandboxedMs: number;
  /** (engine − unsandboxed) per item, scaled by the parallelism: what the sandbox costs each step. */
  sandboxCostPerStepMs: number;
}

/** A workflow running `sh -c true` once per item of `withSequence`. */
function fanoutManifest(items: number): Workflow {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: 'bench-fanout-' },
    spec: {
      entrypoint: 'main',
      templates: [
        { name: 'main', steps: [[{ name: 'noop', template: 'noop', withSequence: { count: String(items) } }]] },
        { name: 'noop', container: { image: 'alpine:3.20', command: ['sh', '-c', 'true'] } },
      ],
    },
  };
}

function runTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'true'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sh -c true exited ${code}`))));
  });
}

/** Runs `items` `sh -c true` processes, at most `parallelism` at once; resolves with the wall time. */
async function bareProcesses(items: number, parallelism: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < items) {
      next++;
      await runTrue();
    }
  };
  await Promise.all(Array.from({ length: parallelism }, worker));
  return performance.now() - start;
}

/** Submits the fan-out to a fresh local engine (in-memory PGlite, temp data dir) and waits for it; resolves with the wall time. */
async function engineFanout(
  items: number,
  parallelism: number,
  sandbox: 'auto' | 'bwrap' | 'none',
): Promise<{ ms: number; phase: string | undefined }> {
  const { createLocalEngine } = await import('../src/engine/local/index.ts');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bench-engine-'));
  const db = await openPglite(undefined);
  try {
    await migrate(db);
    const engine = await createLocalEngine({ db, dataDir, maxProcesses: parallelism, sandbox, log: () => {} });
    try {
      const start = performance.now();
      const created = await engine.submit(fanoutManifest(items));
      const final = await engine.wait(created.metadata.name!);
      return { ms: performance.now() - start, phase: final.status?.phase };
    } finally {
      await engine.close();
    }
  } finally {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Measures the bare processes and the engine fan-out in the same run. */
export async function measureFanout(
  items = 500,
  parallelism = os.availableParallelism(),
  sandbox: 'auto' | 'bwrap' | 'none' = 'auto',
): Promise<FanoutFigure> {
  // The bare processes go first: spawning forks this process, and a fork costs
  // more once PGlite's WebAssembly memory (hundreds of MB) is mapped here, which
  // is the engine's situation in the embedded service, not the floor's.
  await bareProcesses(parallelism * 2, parallelism);
  const bareMs = await bareProcesses(items, parallelism);
  await engineFanout(parallelism * 2, parallelism, sandbox);
  const engine = await engineFanout(items, parallelism, sandbox);
  const unsandboxed = await engineFanout(items, parallelism, 'none');
  return {
    items,
    parallelism,
    sandbox,
    engineMs: engine.ms,
    phase: engine.phase,
    bareMs,
    ratio: engine.ms / bareMs,
    overheadPerStepMs: ((engine.ms - bareMs) * parallelism) / items,
    unsandboxedMs: unsandboxed.ms,
    sandboxCostPerStepMs: ((engine.ms - unsandboxed.ms) * parallelism) / items,
  };
}

/** `node --import tsx bench/fanout.ts [items]`: this part alone, with the ratios against the 3× target. */
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const items = Number(process.argv[2] ?? 500);
  const f = await measureFanout(items);
  const verdict = (ratio: number) => `${ratio.toFixed(2)}× bare (target ≤ 3×: ${ratio <= 3 ? 'PASS' : 'MISS'})`;
  process.stdout.write(
    [
      `fan-out of ${f.items} × sh -c true, ${f.parallelism} at once`,
      `  bare processes:               ${f.bareMs.toFixed(0)} ms`,
      `  local engine, sandbox ${f.sandbox} (${f.phase ?? 'no phase'}): ${f.engineMs.toFixed(0)} ms, ${verdict(f.ratio)}`,
      `  local engine, no sandbox:     ${f.unsandboxedMs.toFixed(0)} ms, ${verdict(f.unsandboxedMs / f.bareMs)}`,
      `  sandbox cost per step and slot: ${f.sandboxCostPerStepMs.toFixed(1)} ms; engine overhead per step and slot: ${f.overheadPerStepMs.toFixed(1)} ms`,
      '',
    ].join('\n'),
  );
}
