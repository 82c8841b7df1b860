import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';
import { reportError } from './report-error.ts';

const DESCRIPTION = `A tool for submitting data transformation recipes to the Open Geospatial Data Cloud (OGDC) for execution.

Client commands talk to the OGDC service at OGDC_API_URL with the tokens saved by
"login" or "set-token" (refreshed when they expire), else logging in with
OGDC_API_USERNAME and OGDC_API_PASSWORD. "serve" runs that service itself.`;

/**
 * Builds the program: with a command named first in `argv`, that command alone (its modules are all a run loads:
 * `run-workflow` reaches its first step sooner); otherwise every command, for `--help` and for commander's
 * suggestion on a mistyped name.
 */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const { VERSION } = await import('./version.ts');
  const program = new Command('ogdc-runner').description(DESCRIPTION).version(VERSION).showHelpAfterError();
  const named = commands.filter((c) => c.name === argv[0]);
  for (const command of named.length > 0 ? named : commands) (await command.load())(program);
  return program;
}

/** Runs the CLI; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    return reportError(err);
  }
}
