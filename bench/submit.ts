/**
 * `POST /submit` latency for uploaded recipes, measured by a Node client
 * sending one request at a time. Each upload carries a different recipe name:
 * a second submission of one recipe would answer 409 (run in progress).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tar from 'tar';
import { UnexpectedResponseError } from './errors.ts';

export interface LatencyFigure {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentile of unsorted samples. */
function percentile(samples: number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Summarises latency samples in milliseconds. */
export function latencyFigure(samples: number[]): LatencyFigure {
  return { count: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: Math.max(...samples) };
}

/** tar.gz bodies of `count` small sequential recipes named `<prefix> <i>`, whose one input is `inputUrl`. */
export async function prepareRecipeUploads(prefix: string, count: number, inputUrl: string): Promise<Buffer[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bench-recipe-'));
  try {
    const bodies: Buffer[] = [];
    await writeFile(path.join(dir, 'recipe.sh'), '# copy the input through\ncp /input_dir/* /output_dir/\n');
    for (let i = 0; i < count; i++) {
      const meta = [
        `name: "${prefix} ${i}"`,
        'workflow:',
        '  type: shell',
        'input:',
        '  params:',
        `    - {type: url, value: "${inputUrl}"}`,
        'output: {type: pvc}',
        '',
      ].join('\n');
      await writeFile(path.join(dir, 'meta.yml'), meta);
      const chunks: Buffer[] = [];
      for await (const chunk of tar.create({ gzip: true, cwd: dir, portable: true }, ['meta.yml', 'recipe.sh']))
        chunks.push(chunk as Buffer);
      bodies.push(Buffer.concat(chunks));
    }
    return bodies;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Uploads one recipe; resolves with the workflow name. */
export async function submitUpload(url: string, token: string, body: Buffer): Promise<string> {
  const res = await fetch(`${url}/submit?name=recipe.tar.gz`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new UnexpectedResponseError(`POST ${url}/submit`, res.status, text);
  return (JSON.parse(text) as { recipe_workflow_name: string }).recipe_workflow_name;
}

/** Submits the bodies one after another (the first `warmup` unmeasured) and returns the latency of the rest. */
export async function measureSubmit(
  url: string,
  token: string,
  bodies: Buffer[],
  warmup = 3,
): Promise<LatencyFigure & { workflows: string[] }> {
  const samples: number[] = [];
  const workflows: string[] = [];
  for (const [i, body] of bodies.entries()) {
    const start = performance.now();
    workflows.push(await submitUpload(url, token, body));
    if (i >= warmup) samples.push(performance.now() - start);
  }
  return { ...latencyFigure(samples), workflows };
}
