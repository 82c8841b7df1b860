import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { type Output, dataoneNodeUrlFromEnv } from './validate-recipe.ts';

type Env = Record<string, string | undefined>;

const DEFAULT_RECIPES_REPO = 'https://github.com/qgreenland-net/ogdc-recipes.git';

interface ValidateAllOptions {
  ref: string;
  checkUrls: boolean;
  env?: Env;
  out?: Output;
  /** Per HTTP request (DataONE, URL checks); default 30 s. */
  timeoutMs?: number;
}

/** A repository location as git understands it: local paths become file:// URLs, `git@host:path` becomes ssh://. */
function repoUrl(location: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location;
  const scp = /^([\w.-]+@[\w.-]+):(?!\/\/)(.+)$/.exec(location);
  if (scp) return `ssh://${scp[1]}/${scp[2]}`;
  return pathToFileURL(path.resolve(location)).href;
}

/** `validate-all-recipes`: clones the repository and validates every `recipes/*` recipe; 1 if any is invalid. */
export async function validateAllRecipesCommand(location: string, options: ValidateAllOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const [{ mkdtemp, rm }, os, { cloneRepo }, { loadRecipe, META_FILE }, errors, { CliError }] = await Promise.all([
    import('node:fs/promises'),
    import('node:os'),
    import('../../recipe/sources/git.ts'),
    import('../../recipe/load.ts'),
    import('../../recipe/errors.ts'),
    import('../errors.ts'),
  ]);
  const dataoneNodeUrl = await dataoneNodeUrlFromEnv(options.env ?? process.env);
  out.write(`Cloning ${location}@${options.ref}...\n`);
  const base = await mkdtemp(path.join(os.tmpdir(), 'ogdc-recipes-repo-'));
  try {
    const clone = path.join(base, 'repo');
    try {
      await cloneRepo(
        repoUrl(location),
        options.ref,
        clone,
        { allowLocalPaths: true, allowPrivateHosts: true, timeoutMs: 300_000 },
        location,
      );
    } catch (error) {
      if (error instanceof errors.RecipeSourceError || error instanceof errors.RecipeSourceUnavailableError) {
        throw new CliError(`Failed to clone repository: ${error.message}`);
      }
      throw error;
    }
    return await validateEach(out, path.join(clone, 'recipes'), META_FILE, options.checkUrls, recipeProblems);
  } finally {
    await rm(base, { recursive: true, force: true });
  }

  async function recipeProblems(dir: string): Promise<string[]> {
    try {
      await loadRecipe(dir, { dataoneNodeUrl, checkUrls: options.checkUrls, timeoutMs: options.timeoutMs });
      return [];
    } catch (error) {
      if (error instanceof errors.RecipeValidationError) return error.problems.map(errors.formatProblem);
      // An unreachable DataONE node makes this recipe unverifiable, as in the reference: count it as failed.
      if (error instanceof errors.DataoneUnavailableError) return [error.message];
      throw error;
    }
  }
}

/** Validates each `recipes/*` directory holding a meta file, writing one line per recipe and a summary; 1 if any is invalid. */
async function validateEach(
  out: Output,
  recipesDir: string,
  metaFile: string,
  checkUrls: boolean,
  recipeProblems: (dir: string) => Promise<string[]>,
): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  if (!existsSync(recipesDir)) {
    out.write("No 'recipes' directory found in repository\n");
    return 1;
  }
  const names = (await readdir(recipesDir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && existsSync(path.join(recipesDir, entry.name, metaFile)))
    .map((entry) => entry.name)
    .sort();
  if (names.length === 0) {
    out.write('No recipes found in recipes directory\n');
    return 1;
  }
  out.write(`Found ${names.length} recipes to validate\n${checkUrls ? 'URL validation enabled\n' : ''}\n`);
  const invalid: string[] = [];
  for (const name of names) {
    const problems = await recipeProblems(path.join(recipesDir, name));
    if (problems.length === 0) {
      out.write(`✓ ${name}\n`);
    } else {
      invalid.push(name);
      out.write(`✗ ${name}\n${problems.map((p) => `  ${p}\n`).join('')}\n`);
    }
  }
  out.write(`\nValidation Results:\n  Valid: ${names.length - invalid.length}\n  Invalid: ${invalid.length}\n`);
  if (invalid.length > 0) out.write(`\nFailed recipes:\n${invalid.map((n) => `  - ${n}\n`).join('')}`);
  return invalid.length > 0 ? 1 : 0;
}

/** Registers `ogdc-runner validate-all-recipes`. */
export function register(program: Command): void {
  program
    .command('validate-all-recipes')
    .description('Validate all OGDC recipes (recipes/*/meta.yml) in a git repository')
    .argument('[recipes-location]', 'git repository URL or local path', DEFAULT_RECIPES_REPO)
    .option('--ref <ref>', 'git branch or tag to validate', 'main')
    .option('--check-urls', 'check that every URL input answers a HEAD request', false)
    .action(async (location: string, opts: { ref: string; checkUrls: boolean }) => {
      process.exitCode = await validateAllRecipesCommand(location, { ref: opts.ref, checkUrls: opts.checkUrls });
    });
}
