import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';

/** `ogdc-runner cancel NAME`. */
export function register(program: Command): void {
  program
    .command('cancel')
    .description('Stop a running recipe run')
    .argument('<workflow-name>', 'the recipe_workflow_name that submit printed')
    .action(async (name: string) => {
      const { message } = await new ApiClient().json<{ message: string }>(`/runs/${encodeURIComponent(name)}/cancel`, { method: 'POST' });
      process.stdout.write(`${message}\n`);
    });
}
