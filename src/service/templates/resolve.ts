/**
 * Resolves a user's Workflow against the templates the service keeps (Argo's submit-time resolution of
 * `workflowTemplateRef`, `templateRef` and `templateDefaults`): their own WorkflowTemplates of the workflow's
 * namespace and every ClusterWorkflowTemplate, never another user's. The engine then gets a Workflow that names
 * no template, so one user's references can never reach another's.
 */
import type { Workflow } from '../../argo/types.ts';
import type { Queryable } from '../../db/types.ts';
import type { ManifestDoc } from '../../engine/local/admission/manifest-file.ts';
import { TemplateRegistry } from '../../engine/local/execution/templates.ts';
import { templatesFor } from './repository.ts';

/** Rewrites `wf` in place; throws ManifestRejectedError naming the field of a reference that finds nothing. */
export async function resolveTemplates(db: Queryable, userId: number, wf: Workflow, namespace: string): Promise<void> {
  const registry = new TemplateRegistry();
  for (const t of await templatesFor(db, userId)) registry.register(t as unknown as ManifestDoc, namespace);
  registry.resolve(wf, wf.metadata.namespace ?? namespace);
}
