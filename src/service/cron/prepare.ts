import type { Workflow } from '../../argo/types.ts';
import type { Queryable } from '../../db/types.ts';
import { resolveTemplates } from '../templates/resolve.ts';
import { admitChild, asSpecError, childWorkflow, type CronWorkflowManifest } from './manifest.ts';

/**
 * The Workflow a CronWorkflow's run at `scheduled` creates, its template references resolved against its owner's
 * templates as they are now, and admitted as the local engine admits it. Throws RequestValidationError naming the
 * field (a reference that finds nothing, a refused field, a claim a non-admin may not mount).
 */
export async function prepareRun(
  db: Queryable,
  cron: CronWorkflowManifest,
  owner: { id: number; isAdmin: boolean },
  scheduled: Date,
): Promise<Workflow> {
  const wf = childWorkflow(cron, scheduled);
  try {
    await resolveTemplates(db, owner.id, wf, cron.metadata.namespace ?? 'default');
  } catch (err) {
    throw asSpecError(err);
  }
  admitChild(wf, owner);
  return wf;
}
