import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { waitForRun } from '../wait.ts';

interface SubmitOptions {
  wait?: boolean;
  overwrite?: boolean;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Packs a recipe directory as tar.gz, links kept as links (the service refuses those that leave the recipe). */
export async function packRecipe(dir: string): Promise<Buffer> {
  const tar = await import('tar');
  const chunks: Buffer[] = [];
  const stream = tar.create({ gzip: true, cwd: dir, portable: true }, ['.']);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Submits a recipe (a local directory is uploaded); returns the workflow name and the service's message. */
export async function submit(client: ApiClient, recipe: string, options: SubmitOptions): Promise<{ name: string; message: string }> {
  let response: { message: string; recipe_workflow_name: string };
  if (await isDirectory(recipe)) {
    const query = new URLSearchParams({ overwrite: String(Boolean(options.overwrite)), name: path.basename(path.resolve(recipe)) });
    response = await client.json(`/submit?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip' },
      body: await packRecipe(recipe),
    });
  } else {
    response = await client.json('/submit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipe_path: recipe, overwrite: Boolean(options.overwrite) }),
    });
  }
  return { name: response.recipe_workflow_name, message: response.message };
}

/** `ogdc-runner submit RECIPE [--wait] [--overwrite]`. */
export function register(program: Command): void {
  program
    .command('submit')
    .description(
      'Submit a recipe to OGDC for execution. RECIPE is a local recipe directory (uploaded), a git URL, ' +
        "or an fsspec-style GitHub path such as 'github://qgreenland-net:ogdc-recipes@main/recipes/seal-tags'.",
    )
    .argument('<recipe>', 'recipe directory, git URL or github:// path')
    .option('--wait', 'wait for the run to finish, showing progress; exit 0 only if it succeeds')
    .option('--overwrite', 'replace the outputs of an earlier run of this recipe')
    .action(async (recipe: string, options: SubmitOptions) => {
      const client = new ApiClient();
      const { name, message } = await submit(client, recipe, options);
      process.stdout.write(`${message}\n`);
      if (options.wait) {
        process.stdout.write('Waiting for completion...\n');
        process.exitCode = await waitForRun(client, name);
      }
    });
}
