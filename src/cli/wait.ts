import type { ApiClient } from './api-client.ts';
import { CliError } from './errors.ts';

interface RunView {
  status: string | null;
  progress: string | null;
  message: string | null;
  nodes?: Array<{ display_name: string; phase: string; type: string; message: string | null }>;
}

const FINAL = new Set(['Succeeded', 'Failed', 'Error']);

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Polls a run until it finishes, showing phase, `n/m` nodes and elapsed time on
 * stderr (one updating line on a terminal, a line per change otherwise).
 * Returns the exit code: 0 only for Succeeded.
 */
export async function waitForRun(
  client: ApiClient,
  name: string,
  options: { intervalMs?: number; out?: NodeJS.WriteStream } = {},
): Promise<number> {
  const out = options.out ?? process.stderr;
  const interval = options.intervalMs ?? 2000;
  const started = Date.now();
  let last = '';
  for (;;) {
    const run = await client.json<RunView>(`/runs/${encodeURIComponent(name)}`);
    const phase = run.status ?? 'Pending';
    const line = `${name}: ${phase}, ${run.progress ?? '0/0'} nodes`;
    if (out.isTTY) out.write(`\r${line}, ${elapsed(Date.now() - started)} elapsed\x1b[K`);
    else if (line !== last) out.write(`${line}, ${elapsed(Date.now() - started)} elapsed\n`);
    last = line;
    if (FINAL.has(phase)) {
      if (out.isTTY) out.write('\n');
      if (phase === 'Succeeded') {
        process.stdout.write(`Workflow ${name} succeeded.\n`);
        return 0;
      }
      const failed = (run.nodes ?? []).filter((n) => (n.phase === 'Failed' || n.phase === 'Error') && n.type === 'Pod');
      const details = failed.map((n) => `  ${n.display_name}: ${n.message ?? n.phase}`).join('\n');
      throw new CliError(
        `Workflow ${name} ended ${phase}${run.message ? `: ${run.message}` : ''}.${details ? `\n${details}` : ''}\nSee its logs with: ogdc-runner logs ${name}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
