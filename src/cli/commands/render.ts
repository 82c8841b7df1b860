import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';

export interface RenderOptions {
  format: 'yaml' | 'json';
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Prints the Argo Workflow manifest a recipe directory translates to, without submitting it;
 * for parallel recipes also says which objects a submission would store first. Returns the exit code.
 */
export async function renderRecipe(recipeDir: string, options: RenderOptions): Promise<number> {
  const info = await stat(recipeDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliError(`render: ${recipeDir} is not a recipe directory`, 2);

  const { loadConfig } = await import('../../config/index.ts');
  const { loadRecipe } = await import('../../recipe/load.ts');
  const { translateRecipe } = await import('../../translate/index.ts');
  const { randomUUID } = await import('node:crypto');

  // Only deployment settings are read: DB and JWT variables are not needed to render.
  const config = loadConfig(options.env);
  const recipe = await loadRecipe(recipeDir, { dataoneNodeUrl: config.dataoneNodeUrl });
  const { workflow, uploads } = translateRecipe(recipe, {
    namespace: config.argoNamespace,
    pvcName: config.workflowPvcName,
    serviceAccountName: config.serviceAccountName,
    runnerImage: config.runnerImage,
    imagePullPolicy: config.imagePullPolicy,
    maxParallelLimit: config.maxParallelLimit,
    submitter: options.env.OGDC_API_USERNAME || undefined,
    overwrite: false,
    uploadPrefix: `ogdc-inputs/${randomUUID()}`,
  });

  if (options.format === 'json') {
    options.stdout(`${JSON.stringify(workflow, null, 2)}\n`);
  } else {
    const { stringify } = await import('yaml');
    // lineWidth 0: scripts stay as literal blocks instead of folded lines.
    options.stdout(stringify(workflow, { lineWidth: 0 }));
  }
  for (const upload of uploads) {
    options.stderr(`Submitting stores ${upload.key} (${Buffer.byteLength(upload.body)} bytes) in the artifact repository first.\n`);
  }
  return 0;
}

/** `ogdc-runner render RECIPE [--format yaml|json]`. */
export function register(program: Command): void {
  program
    .command('render')
    .description('Print the Argo Workflow manifest of a local recipe directory without submitting it')
    .argument('<recipe>', 'recipe directory (with meta.yml)')
    .option('--format <format>', 'yaml or json', 'yaml')
    .action(async (recipe: string, opts: { format: string }) => {
      if (opts.format !== 'yaml' && opts.format !== 'json') {
        throw new CliError(`render: --format must be "yaml" or "json", got "${opts.format}"`, 2);
      }
      process.exitCode = await renderRecipe(recipe, {
        format: opts.format,
        env: process.env,
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    });
}
