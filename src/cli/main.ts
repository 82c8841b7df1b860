import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';
import { reportError } from './report-error.ts';

const DESCRIPTION = `A tool for submitting data transformation recipes to the Open Geospatial Data Cloud (OGDC) for execution.

Client commands talk to the OGDC service at OGDC_API_URL with the tokens saved by
"login" or "set-token" (refreshed when they expire), else logging in with
OGDC_API_USERNAME and OGDC_API_PASSWORD. "serve" runs that service itself.`;

/** Builds the program with every command registered. */
export async function buildProgram(): Promise<Command> {
  const { VERSION } = await import('./version.ts');
  const program = new Command('ogdc-runner').description(DESCRIPTION).version(VERSION).showHelpAfterError();
  for (const load of commands) (await load())(program);
  return program;
}

/** Runs the CLI; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    return reportError(err);
  }
}
