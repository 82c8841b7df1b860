/** Kubernetes object names are at most 63 characters. */
const MAX_NAME_LENGTH = 63;
/** The API server appends 5 random characters to `generateName`. */
const GENERATED_SUFFIX_LENGTH = 5;
const MAX_LABEL_VALUE_LENGTH = 63;

/** The kinds of workflow we emit; they appear in workflow names. */
export type WorkflowKind = 'shell' | 'parallel-shell' | 'visualization';

/**
 * `metadata.generateName` for a recipe: `<id>-<kind>-`, the id shortened so the final name
 * (with Argo's suffix) is at most 63 characters and a valid DNS label.
 */
export function makeGenerateName(recipeId: string, kind: WorkflowKind): string {
  // Dots are legal in recipe ids but not in DNS labels (pod names derive from the
  // workflow name), so every run of characters outside [a-z0-9] becomes one dash.
  const base = recipeId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '');
  const room = MAX_NAME_LENGTH - GENERATED_SUFFIX_LENGTH - kind.length - 2;
  const id = base.slice(0, room).replace(/-+$/, '') || 'recipe';
  return `${id}-${kind}-`;
}

/**
 * A Kubernetes label value for arbitrary text: characters outside `[A-Za-z0-9._-]` become `_`,
 * at most 63 characters, starting and ending with an alphanumeric. Empty when nothing is left.
 */
export function toLabelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_LABEL_VALUE_LENGTH)
    .replace(/[^A-Za-z0-9]+$/, '');
}
