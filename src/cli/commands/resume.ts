import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { CliError } from '../errors.ts';

/** Parses repeated `-p NAME=VALUE`; throws CliError (exit 2) naming a malformed one. */
function parseOutputValues(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`resume: -p expects NAME=VALUE, got "${v}"`, 2);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** `ogdc-runner resume NAME [-p NAME=VALUE]...`. */
export function register(program: Command): void {
  program
    .command('resume')
    .description('Resume a suspended recipe run (its suspend steps succeed)')
    .argument('<workflow-name>', 'the recipe_workflow_name that submit printed')
    .option(
      '-p, --parameter <NAME=VALUE>',
      'value of a suspend step’s supplied output parameter (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(async (name: string, opts: { parameter: string[] }) => {
      const parameters = parseOutputValues(opts.parameter);
      const { message } = await new ApiClient().json<{ message: string }>(`/runs/${encodeURIComponent(name)}/resume`, {
        method: 'POST',
        body: JSON.stringify({ parameters }),
        headers: { 'content-type': 'application/json' },
      });
      process.stdout.write(`${message}\n`);
    });
}
