import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';

/** The run's status as the service reports it (null before the engine knows). */
async function workflowStatus(client: ApiClient, name: string): Promise<string | null> {
  return (await client.json<{ status: string | null }>(`/status/${encodeURIComponent(name)}`)).status;
}

/** `ogdc-runner check-workflow-status NAME`. */
export function register(program: Command): void {
  program
    .command('check-workflow-status')
    .description("Check a recipe run's workflow status")
    .argument('<workflow-name>', 'the recipe_workflow_name that submit printed')
    .action(async (name: string) => {
      const status = await workflowStatus(new ApiClient(), name);
      // As the reference prints Python's None.
      process.stdout.write(`Workflow ${name} has status ${status ?? 'None'}.\n`);
    });
}
