import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { formatTable } from '../table.ts';

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
  return formatTable(header, rows).join('\n');
}

/** A manifest file's text; a file that cannot be read is a usage error naming it. */
export async function readManifest(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, 2);
  }
}

/** The `kind` and `metadata.name` of the one document in a manifest file (an update names what it replaces). */
export function manifestHead(text: string, file: string): { kind: unknown; name: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CliError(`${file}: not YAML or JSON: ${(err as Error).message}`, 2);
  }
  const head = doc as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const name = head?.metadata?.name;
  if (typeof name !== 'string' || name === '') throw new CliError(`${file}: metadata.name is required`, 2);
  return { kind: head?.kind, name };
}

const path = (name: string, action = '') => `/cron-workflows/${encodeURIComponent(name)}${action}`;

/** `ogdc-runner cron list|create FILE|update FILE|delete NAME|suspend NAME|resume NAME`. */
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
  for (const [action, method] of [
    ['create', 'POST'],
    ['update', 'PUT'],
  ] as const) {
    cron
      .command(action)
      .description(
        action === 'create'
          ? 'Create a CronWorkflow from an Argo manifest file (YAML or JSON)'
          : 'Replace a CronWorkflow with the manifest in a file (same metadata.name; its runs and history are kept)',
      )
      .argument('<file>', 'the CronWorkflow manifest')
      .action(async (file: string) => {
        const text = await readManifest(file);
        const route = action === 'create' ? '/cron-workflows' : path(manifestHead(text, file).name);
        const answer = await new ApiClient().json<CronItem>(route, { method, headers: { 'content-type': 'application/yaml' }, body: text });
        process.stdout.write(`CronWorkflow ${answer.metadata.name} ${action}d; next run ${answer.next_run ?? '-'}\n`);
      });
  }
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
