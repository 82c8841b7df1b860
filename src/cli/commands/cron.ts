import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { CliError } from '../errors.ts';

interface CronItem {
  metadata: { name: string };
  owner: string;
  schedules: string[];
  timezone: string;
  suspended: boolean;
  status: { phase: string; lastScheduledTime: string | null };
  next_run: string | null;
  active_runs: string[];
}

/** A table of CronWorkflows with their schedules, next and last run. */
function formatCrons(items: CronItem[]): string {
  const header = ['NAME', 'OWNER', 'SCHEDULES', 'TIMEZONE', 'SUSPENDED', 'NEXT RUN', 'LAST SCHEDULED', 'ACTIVE'];
  const rows = items.map((c) => [
    c.metadata.name,
    c.owner,
    c.schedules.join(', '),
    c.timezone,
    c.suspended ? 'yes' : c.status.phase === 'Stopped' ? 'stopped' : 'no',
    c.next_run ?? '-',
    c.status.lastScheduledTime ?? '-',
    String(c.active_runs.length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const path = (name: string, action = '') => `/cron-workflows/${encodeURIComponent(name)}${action}`;

/** `ogdc-runner cron list|create FILE|delete NAME|suspend NAME|resume NAME`. */
export function register(program: Command): void {
  const cron = program.command('cron').description('CronWorkflows the service runs on a schedule (local engine)');
  cron
    .command('list')
    .description("List your CronWorkflows with their next run (admin: everyone's)")
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: { json?: boolean }) => {
      const answer = await new ApiClient().json<{ items: CronItem[] }>('/cron-workflows');
      process.stdout.write(`${opts.json ? JSON.stringify(answer, null, 2) : formatCrons(answer.items)}\n`);
    });
  cron
    .command('create')
    .description('Create a CronWorkflow from an Argo manifest file (YAML or JSON)')
    .argument('<file>', 'the CronWorkflow manifest')
    .action(async (file: string) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new CliError(`${file}: ${(err as Error).message}`, 2);
      }
      const created = await new ApiClient().json<CronItem>('/cron-workflows', {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body: text,
      });
      process.stdout.write(`CronWorkflow ${created.metadata.name} created; next run ${created.next_run ?? '-'}\n`);
    });
  for (const [action, method, route] of [
    ['delete', 'DELETE', ''],
    ['suspend', 'POST', '/suspend'],
    ['resume', 'POST', '/resume'],
  ] as const) {
    cron
      .command(action)
      .description(`${action[0]!.toUpperCase()}${action.slice(1)} a CronWorkflow`)
      .argument('<name>', 'the CronWorkflow name')
      .action(async (name: string) => {
        await new ApiClient().json(path(name, route), { method });
        process.stdout.write(`CronWorkflow ${name}: ${action === 'delete' ? 'deleted' : `${action}d`}\n`);
      });
  }
}
