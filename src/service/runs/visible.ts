import type { ServiceContext } from '../context.ts';
import type { User } from '../users/repository.ts';
import { NotFoundError } from '../errors.ts';
import { findRun, type Run } from './repository.ts';

/** The run of that workflow if the user may see it; another user's run is 404, like a missing one. */
export async function visibleRun(ctx: ServiceContext, user: User, workflowName: string): Promise<Run> {
  const run = await findRun(ctx.db, workflowName, user);
  if (!run) throw new NotFoundError(`Workflow ${workflowName} not found.`);
  return run;
}
