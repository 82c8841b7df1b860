import type { Command } from 'commander';

type Env = Record<string, string | undefined>;

/** Where command output goes; process.stdout by default, a collector in tests. */
export interface Output {
  write(text: string): unknown;
}

/**
 * The DataONE node for validation: only DATAONE_NODE_URL (validated, with its
 * default) is read, so validating needs none of the service's configuration.
 */
export async function dataoneNodeUrlFromEnv(env: Env): Promise<string> {
  const { loadConfig } = await import('../../config/index.ts');
  return loadConfig({ DATAONE_NODE_URL: env.DATAONE_NODE_URL, HOME: env.HOME }).dataoneNodeUrl;
}

/**
 * pvc_mount checks for validation: with OGDC_ALLOWED_INPUT_PVCS set, claims outside it (and the workflow PVC) are
 * refused; with the local engine (no ARGO_WORKFLOWS_SERVICE_URL) the input's folder must exist in
 * <OGDC_DATA_DIR>/volumes/<claim>. Only these variables are read.
 */
async function pvcOptionsFromEnv(env: Env): Promise<{ allowedInputPvcs?: string[]; claimFolder?: (claim: string) => string }> {
  const [{ loadConfig }, { claimFolderOf }] = await Promise.all([import('../../config/index.ts'), import('../../engine/create.ts')]);
  const keys = ['HOME', 'OGDC_DATA_DIR', 'OGDC_ALLOWED_INPUT_PVCS', 'OGDC_WORKFLOW_PVC_NAME', 'ARGO_WORKFLOWS_SERVICE_URL', 'ARGO_TOKEN'];
  const config = loadConfig(Object.fromEntries(keys.map((k) => [k, env[k]])));
  const claimFolder = await claimFolderOf(config);
  return {
    ...(env.OGDC_ALLOWED_INPUT_PVCS && { allowedInputPvcs: [config.workflowPvcName, ...config.allowedInputPvcs] }),
    ...(claimFolder && { claimFolder }),
  };
}

/** `validate-recipe PATH`: stages any recipe source, validates it, prints the verdict; 0 when valid, 1 when not. */
export async function validateRecipeCommand(location: string, options: { env?: Env; out?: Output } = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const [{ parseRecipeSource, stageRecipe }, { loadRecipe }, { RecipeValidationError, formatProblem }] = await Promise.all([
    import('../../recipe/sources.ts'),
    import('../../recipe/load.ts'),
    import('../../recipe/errors.ts'),
  ]);
  const dataoneNodeUrl = await dataoneNodeUrlFromEnv(options.env ?? process.env);
  // The CLI runs as the user on their own machine: their files and networks are theirs to read.
  const staged = await stageRecipe(parseRecipeSource(location), { allowLocalPaths: true, allowPrivateHosts: true });
  try {
    await loadRecipe(staged.dir, { dataoneNodeUrl, ...(await pvcOptionsFromEnv(options.env ?? process.env)) });
    out.write(`Recipe ${location} is valid.\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof RecipeValidationError)) throw error;
    out.write(`Recipe ${location} is invalid.\n${error.problems.map((p) => `${formatProblem(p)}\n`).join('')}`);
    return 1;
  } finally {
    await staged.cleanup();
  }
}

/** Registers `ogdc-runner validate-recipe`. */
export function register(program: Command): void {
  program
    .command('validate-recipe')
    .description('Validate an OGDC recipe (a directory, a .tar.gz, git+URL@REF#PATH or github://ORG:REPO@REF/PATH)')
    .argument('<recipe-path>', 'where the recipe is')
    .action(async (location: string) => {
      process.exitCode = await validateRecipeCommand(location);
    });
}
