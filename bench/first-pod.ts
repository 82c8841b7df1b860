/**
 * `run-workflow` start-up as a user meets it: `node bin/ogdc-runner.js run-workflow FILE` (dist/, sandbox auto)
 * from spawn to the moment its first step runs (the step prints the clock), and the time each further step of a
 * sequential workflow adds. A first run fills the user's cache (the compiled schema check) as a user's first run
 * does; the timed runs start from it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './service.ts';

export interface FirstPodFigure {
  runs: number;
  /** Median ms from spawning the CLI to its first step printing the clock. */
  firstPodMs: number;
  /** Median ms of the whole one-step run, exit included. */
  oneStepMs: number;
  /** Median ms of a run of `steps` sequential steps. */
  manyStepsMs: number;
  steps: number;
  /** (many − one) / (steps − 1): what one more sequential step adds. */
  perStepMs: number;
}

function manifest(steps: number): string {
  const list = Array.from({ length: steps }, (_, i) => `    - - {name: s${i}, template: stamp}`).join('\n');
  return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bench-first-pod-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
${list}
  - name: stamp
    container: {image: alpine, command: [date, "+%s%N"]}
`;
}

/** Runs the CLI once; resolves with the wall time and the first clock a step printed (ms since the epoch). */
function runOnce(file: string, cacheHome: string): Promise<{ wallMs: number; firstStepAt: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'ogdc-runner.js'), 'run-workflow', file], {
      env: { ...process.env, XDG_CACHE_HOME: cacheHome, OGDC_SCHEMA_CACHE_DIR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const wallMs = Date.now() - started;
      const clocks = [...stdout.matchAll(/\b(\d{19})\b/g)].map((m) => Number(BigInt(m[1]!) / 1_000_000n));
      if (code !== 0 || clocks.length === 0) return reject(new Error(`run-workflow exited ${code}: ${stderr.slice(-500)}`));
      resolve({ wallMs, firstStepAt: Math.min(...clocks) - started });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function measureFirstPod(runs = 5, steps = 20): Promise<FirstPodFigure> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bench-first-pod-'));
  try {
    const one = path.join(dir, 'one.yaml');
    const many = path.join(dir, 'many.yaml');
    await writeFile(one, manifest(1));
    await writeFile(many, manifest(steps));
    const cacheHome = path.join(dir, 'cache');
    await runOnce(one, cacheHome);
    const ones = [];
    for (let i = 0; i < runs; i++) ones.push(await runOnce(one, cacheHome));
    const manys = [];
    for (let i = 0; i < Math.max(1, Math.ceil(runs / 2)); i++) manys.push((await runOnce(many, cacheHome)).wallMs);
    const oneStepMs = median(ones.map((r) => r.wallMs));
    const manyStepsMs = median(manys);
    return {
      runs,
      firstPodMs: median(ones.map((r) => r.firstStepAt)),
      oneStepMs,
      manyStepsMs,
      steps,
      perStepMs: (manyStepsMs - oneStepMs) / (steps - 1),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
