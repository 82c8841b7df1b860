import type { Command } from 'commander';
import { CliError } from '../errors.ts';

interface RenderOptions {
  format: 'yaml' | 'json';
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Prints the Argo Workflow manifest a recipe directory translates to, without submitting it;
 * for parallel recipes also says which objects a submission would store first. Returns the exit code.
 */
export async function renderRecipe(location: string, options: RenderOptions): Promise<number> {
  const { loadConfig } = await import('../../config/index.ts');
  const { loadRecipe } = await import('../../recipe/load.ts');
  const { parseRecipeSource, stageRecipe } = await import('../../recipe/sources.ts');
  const { translateRecipe } = await import('../../translate/index.ts');
  const { translateOptionsFrom } = await import('../../translate/options.ts');
  const { randomUUID } = await import('node:crypto');

  // Only deployment settings are read: DB and JWT variables are not needed to render.
  const config = loadConfig(options.env);
  // The user's own machine: local paths and private hosts are theirs to name.
  const staged = await stageRecipe(parseRecipeSource(location), {
    allowLocalPaths: true,
    allowPrivateHosts: true,
    githubBaseUrl: config.githubBaseUrl,
  });
  let recipe;
  try {
    recipe = await loadRecipe(staged.dir, { dataoneNodeUrl: config.dataoneNodeUrl });
  } finally {
    await staged.cleanup();
  }
  const { workflow, uploads } = translateRecipe(
    recipe,
    translateOptionsFrom(config, {
      submitter: options.env.OGDC_API_USERNAME || undefined,
      overwrite: false,
      uploadPrefix: `ogdc-inputs/${randomUUID()}`,
    }),
  );

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
    .description('Print the Argo Workflow manifest a recipe translates to, without submitting it')
    .argument('<recipe>', 'recipe directory, .tar.gz, git+URL@REF#PATH or github://ORG:REPO@REF/PATH')
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
