import type { InputFile, Recipe } from '../recipe/types.ts';
import { InvalidInputFileError, InvalidRecipeForTranslationError } from './errors.ts';

/**
 * Checks what the fetch step relies on: at least one input, every file name a plain name
 * (no `/`, not `.`/`..`, no control characters: it becomes a path and a line of a list),
 * names unique (two inputs with one name would overwrite each other), URLs http(s) without
 * whitespace. Returns the inputs unchanged.
 */
export function checkInputFiles(recipe: Recipe): InputFile[] {
  const id = recipe.config.id;
  if (recipe.inputs.length === 0) {
    throw new InvalidRecipeForTranslationError(id, 'input.params', 'no input files to fetch');
  }
  const seen = new Map<string, string>();
  for (const input of recipe.inputs) {
    const { url, filename } = input;
    if (!/^https?:\/\/\S+$/.test(url)) {
      throw new InvalidInputFileError(id, url, filename, 'the URL must be http(s) and contain no whitespace');
    }
    if (filename === '' || filename === '.' || filename === '..' || /[/\u0000-\u001f\u007f]/.test(filename)) {
      throw new InvalidInputFileError(id, url, filename, 'the file name must be a plain name without "/" or control characters');
    }
    const other = seen.get(filename);
    if (other !== undefined) {
      throw new InvalidInputFileError(id, url, filename, `another input (${JSON.stringify(other)}) has the same file name`);
    }
    seen.set(filename, url);
  }
  return recipe.inputs;
}

/** The input list as the parallel fetch step reads it: one `URL<TAB>FILENAME` line per file. */
export function inputsTsv(inputs: InputFile[]): string {
  return inputs.map((i) => `${i.url}\t${i.filename}\n`).join('');
}

/** Rejects recipe ids that cannot name a folder on the workflow volume (`.`, `..`). */
export function checkRecipeId(recipeId: string): void {
  if (!/^[a-z0-9.-]+$/.test(recipeId) || /^\.+$/.test(recipeId)) {
    throw new InvalidRecipeForTranslationError(
      recipeId,
      'name',
      'the recipe id must be lower-case letters, digits, "." and "-", and not only dots',
    );
  }
}
