import { ConfigError } from '../config/errors.ts';
import { CliError } from './errors.ts';

/** Prints an error for a person and returns the exit code: the one wrapper every command shares. */
export function reportError(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Error: ${message}\n`);
  return 1;
}
