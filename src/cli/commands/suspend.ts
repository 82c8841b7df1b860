import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';

/** `ogdc-runner suspend NAME`. */
export function register(program: Command): void {
  program
    .command('suspend')
    .description('Suspend a running recipe run: running steps go on, no new step starts until `ogdc-runner resume NAME`')
    .argument('<workflow-name>', 'the recipe_workflow_name that submit printed')
    .action(async (name: string) => {
      const { message } = await new ApiClient().json<{ message: string }>(`/runs/${encodeURIComponent(name)}/suspend`, { method: 'POST' });
      process.stdout.write(`${message}\n`);
    });
}
