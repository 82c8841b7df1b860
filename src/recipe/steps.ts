/** The steps of a recipe.sh: every line that is non-empty after trimming and does not start with `#`. */
export function parseSteps(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
