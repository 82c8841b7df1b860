import { randomUUID } from 'node:crypto';
import type { ServiceContext } from '../context.ts';
import type { User } from '../users/repository.ts';
import type { RecipeSource } from '../../recipe/sources/index.ts';
import { EngineUnavailableError } from '../../engine/errors.ts';
import { AlreadyPublishedError } from './errors.ts';
import { isPublished, markNotSubmitted, markSubmitted, reserveRun } from './repository.ts';
import { requireEngine } from './engine.ts';

export interface Submission {
  /** What the user named: a recipe path/URL, or `upload:<file name>` for an uploaded archive. */
  label: string;
  source: RecipeSource;
  overwrite: boolean;
}

/**
 * Stages, validates, checks publication, translates and submits a recipe,
 * recording the run. Nothing waits for a helper workflow: publication state
 * comes from the runs table. Returns the workflow name.
 */
export async function submitRecipe(ctx: ServiceContext, user: User, submission: Submission): Promise<string> {
  const engine = requireEngine(ctx);
  const { stageRecipe } = await import('../../recipe/sources/index.ts');
  const { loadRecipe } = await import('../../recipe/load.ts');
  const { translateRecipe } = await import('../../translate/index.ts');
  const { config } = ctx;

  const staged = await stageRecipe(submission.source, {
    allowLocalPaths: config.recipeRoots,
    allowPrivateHosts: config.allowPrivateSources,
  });
  let recipe;
  try {
    recipe = await loadRecipe(staged.dir, { dataoneNodeUrl: config.dataoneNodeUrl });
  } finally {
    await staged.cleanup();
  }

  const { id, name, output } = recipe.config;
  if (output.type === 'pvc' && !submission.overwrite && (await isPublished(ctx.db, id))) {
    throw new AlreadyPublishedError(id);
  }
  const translation = translateRecipe(recipe, {
    namespace: config.argoNamespace,
    pvcName: config.workflowPvcName,
    serviceAccountName: config.serviceAccountName,
    runnerImage: config.runnerImage,
    imagePullPolicy: config.imagePullPolicy,
    maxParallelLimit: config.maxParallelLimit,
    submitter: user.name,
    overwrite: submission.overwrite,
    uploadPrefix: `ogdc-inputs/${randomUUID()}`,
  });

  const runId = await reserveRun(ctx.db, {
    userId: user.id,
    recipePath: submission.label,
    recipeId: id,
    recipeName: name,
    engine: engine.kind,
    outputType: output.type,
    overwrite: submission.overwrite,
  });
  try {
    for (const upload of translation.uploads) await engine.putArtifact(upload.key, upload.body);
    const created = await engine.submit(translation.workflow);
    const workflowName = created.metadata.name!;
    await markSubmitted(ctx.db, runId, workflowName, created.status?.phase ?? null);
    return workflowName;
  } catch (err) {
    const why = err instanceof EngineUnavailableError ? `not submitted: ${err.message}` : `not submitted: ${(err as Error).message}`;
    await markNotSubmitted(ctx.db, runId, why).catch(() => {});
    throw err;
  }
}
