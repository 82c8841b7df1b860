import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';

/** Streams a run's logs to `out`. */
async function streamLogs(
  client: ApiClient,
  name: string,
  options: { follow?: boolean; node?: string },
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const query = new URLSearchParams({ follow: String(Boolean(options.follow)) });
  if (options.node) query.set('node', options.node);
  const response = await client.request(`/runs/${encodeURIComponent(name)}/logs?${query}`);
  if (!response.body) return;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) out.write(chunk);
}

/** `ogdc-runner logs NAME [--follow] [--node NODE]`. */
export function register(program: Command): void {
  program
    .command('logs')
    .description("Print a run's logs (every node, or one)")
    .argument('<workflow-name>', 'the recipe_workflow_name that submit printed')
    .option('-f, --follow', 'keep printing until the run finishes')
    .option('--node <node>', 'only this node (id or pod name)')
    .action(async (name: string, options: { follow?: boolean; node?: string }) => {
      await streamLogs(new ApiClient(), name, options);
    });
}
