/**
 * Where a run's `temporary` output lives in the artifact repository: the translation stores the zip key-only at
 * this key (with Argo's `{{workflow.name}}`, substituted when the workflow runs) and the service serves exactly
 * this key for the run's workflow.
 */
export function temporaryOutputKey(workflowName: string, recipeId: string): string {
  return `${workflowName}/${recipeId}.zip`;
}

/** The key as the translation writes it into a manifest, before Argo names the workflow. */
export function manifestOutputKey(recipeId: string): string {
  return temporaryOutputKey('{{workflow.name}}', recipeId);
}
