import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { fetch } from 'undici';
import { ApiClient } from '../api-client.ts';
import { CliError } from '../errors.ts';

/** Downloads a finished run's temporary output zip into `dir`; returns the file's path. */
export async function getOutput(client: ApiClient, name: string, dir: string): Promise<string> {
  const { data_url } = await client.json<{ data_url: string }>(`/output/${encodeURIComponent(name)}`);
  const fileName = path.basename(decodeURIComponent(new URL(data_url).pathname)) || `${name}.zip`;
  const response = await fetch(data_url);
  if (!response.ok || !response.body) {
    throw new CliError(`Downloading the output of ${name} failed: HTTP ${response.status} from ${new URL(data_url).origin}.`);
  }
  await mkdir(dir, { recursive: true });
  const target = path.resolve(dir, fileName.endsWith('.zip') ? fileName : `${fileName}.zip`);
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(target));
  return target;
}

/** `ogdc-runner get-output NAME [--output-dir DIR]`. */
export function register(program: Command): void {
  program
    .command('get-output')
    .description("Download a finished run's temporary output (a zip) and print where it was written")
    .argument('<workflow-name>', 'the recipe_workflow_name that submit printed')
    .option('--output-dir <dir>', 'folder to write the zip into', '.')
    .action(async (name: string, options: { outputDir: string }) => {
      process.stdout.write(`${await getOutput(new ApiClient(), name, options.outputDir)}\n`);
    });
}
