import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DataoneUnavailableError, RecipeValidationError } from './errors.ts';
import { checkUrlInputs } from './inputs/check-urls.ts';
import { checkPvcInputs } from './inputs/pvc.ts';
import { resolveInputs } from './inputs/resolve.ts';
import { Checker } from './meta/check.ts';
import { readShellSteps, readVizConfig } from './meta/side-files.ts';
import { checkMeta, recipeId } from './meta/validate.ts';
import { parseYaml } from './meta/yaml.ts';
import type { InputFile, Recipe } from './types.ts';

/** The recipe's main file, as in the reference. */
export const META_FILE = 'meta.yml';

export interface LoadRecipeOptions {
  /** DataONE member node base URL (config `dataoneNodeUrl`). */
  dataoneNodeUrl: string;
  /** Resolve DataONE inputs against the node; default true. When false, `inputs` holds only URL inputs. */
  resolveInputs?: boolean;
  signal?: AbortSignal;
  /** Per HTTP request; default 30 s. */
  timeoutMs?: number;
  /** Check every URL input with a HEAD request (validate-all-recipes --check-urls); default false. */
  checkUrls?: boolean;
  /** Solr page size for DataONE queries; default 50. */
  dataonePageSize?: number;
  /** Claims pvc_mount inputs may name (the workflow PVC and OGDC_ALLOWED_INPUT_PVCS); unchecked when absent. */
  allowedInputPvcs?: string[];
  /** Where a claim's files are on this machine (the local engine), or undefined where they are not: the input's path must be a folder there. */
  claimFolder?: (claim: string) => string | undefined;
}

/**
 * Reads and validates a recipe directory: meta.yml, its side files and its inputs.
 * Throws RecipeValidationError listing every problem, or DataoneUnavailableError
 * when the recipe is otherwise valid but the DataONE node cannot be queried.
 */
export async function loadRecipe(dir: string, options: LoadRecipeOptions): Promise<Recipe> {
  let text: string;
  try {
    text = await readFile(path.join(dir, META_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `not found in the recipe directory ${dir}` : `cannot be read (${code ?? String(error)})`;
    throw new RecipeValidationError([{ file: META_FILE, path: '', message: why }], { cause: error });
  }
  const parsed = parseYaml(text, META_FILE);
  if (parsed.problems.length > 0) throw new RecipeValidationError(parsed.problems);

  const check = new Checker(META_FILE, parsed.lines);
  const draft = checkMeta(check, parsed.value);

  let steps: string[] | undefined = [];
  let vizConfig: Record<string, unknown> | null | undefined = null;
  if (draft.workflow?.type === 'shell') steps = await readShellSteps(check, dir, draft.workflow);
  if (draft.workflow?.type === 'visualization') vizConfig = await readVizConfig(check, dir, draft.workflow);

  let inputs: InputFile[] = [];
  let unavailable: DataoneUnavailableError | undefined;
  if (draft.params) {
    const http = { timeoutMs: options.timeoutMs, signal: options.signal };
    try {
      inputs = await resolveInputs(check, draft.params, {
        ...http,
        nodeUrl: options.dataoneNodeUrl,
        pageSize: options.dataonePageSize,
        resolveDataone: options.resolveInputs !== false,
      });
    } catch (error) {
      if (!(error instanceof DataoneUnavailableError)) throw error;
      unavailable = error;
    }
    if (options.checkUrls) await checkUrlInputs(check, draft.params, http);
    await checkPvcInputs(check, draft.params, options);
  }

  if (check.problems.length > 0) {
    // The recipe is wrong regardless of the node; mention that its DataONE inputs went unchecked.
    if (unavailable) check.report('input.params', `DataONE inputs could not be checked: ${unavailable.message}`);
    throw new RecipeValidationError(check.problems);
  }
  if (unavailable) throw unavailable;
  const { name, workflow, params, output } = draft;
  if (!name || !workflow || !params || !output || steps === undefined || vizConfig === undefined || params.includes(undefined)) {
    // Every undefined part reported a problem above; reaching here would be a validator bug.
    throw new Error('recipe validation left a part undefined without reporting a problem');
  }
  return {
    config: { name, id: recipeId(name), workflow, input: { params: params as NonNullable<(typeof params)[number]>[] }, output },
    steps,
    vizConfig,
    inputs,
  };
}
