import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { formatTable } from '../table.ts';

interface RunRow {
  recipe_workflow_name: string | null;
  recipe_id: string;
  submitter: string;
  status: string | null;
  progress: string | null;
  submitted_at: string;
}

/** A table of runs, newest first. */
function formatRuns(runs: RunRow[], total: number): string {
  const header = ['WORKFLOW', 'RECIPE', 'SUBMITTER', 'STATUS', 'PROGRESS', 'SUBMITTED'];
  const rows = runs.map((r) => [
    r.recipe_workflow_name ?? '-',
    r.recipe_id,
    r.submitter,
    r.status ?? '-',
    r.progress ?? '-',
    r.submitted_at.replace(/\.\d+Z$/, 'Z'),
  ]);
  return [...formatTable(header, rows), `${runs.length} of ${total} runs`].join('\n');
}

/** `ogdc-runner runs [--limit N] [--offset N]`. */
export function register(program: Command): void {
  program
    .command('runs')
    .description("List your recipe runs, newest first (admin: everyone's)")
    .option('--limit <n>', 'how many', '20')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'print the API answer as JSON')
    .action(async (options: { limit: string; offset: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: options.limit, offset: options.offset });
      const data = await new ApiClient().json<{ runs: RunRow[]; total: number }>(`/runs?${query}`);
      process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${formatRuns(data.runs, data.total)}\n`);
    });
}
