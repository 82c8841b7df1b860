import { randomUUID } from 'node:crypto';
import type { ServiceContext } from '../context.ts';
import type { User } from '../users/repository.ts';
import type { RecipeSource } from '../../recipe/sources.ts';
import { EngineUnavailableError } from '../../engine/errors.ts';
import { AlreadyPublishedError, RunInProgressError } from './errors.ts';
import { refreshRun } from './refresh.ts';
import { findActiveRun, isPublished, markNotSubmitted, markSubmitted, reserveRun } from './repository.ts';
import { requireEngine } from './engine.ts';
import { assertMayPublish, claimRecipe } from './owners.ts';
import { assertPublicInputs } from './input-hosts.ts';

export interface Submission {
  /** What the user named: a recipe path/URL, or `upload:<file name>` for an uploaded archive. */
  label: string;
  /** A location as the user typed it, or an uploaded archive. */
  source: { kind: 'text'; text: string } | Extract<RecipeSource, { kind: 'archive' }>;
  overwrite: boolean;
}

/**
 * Stages, validates, checks publication and translates a recipe: everything a submission
 * does before it records a run and reaches the engine (POST /render stops here).
 */
export async function prepareSubmission(ctx: ServiceContext, user: User, submission: Submission) {
  const { parseRecipeSource, stageRecipe } = await import('../../recipe/sources.ts');
  const { loadRecipe } = await import('../../recipe/load.ts');
  const { translateRecipe } = await import('../../translate/index.ts');
  const { translateOptionsFrom } = await import('../../translate/options.ts');
  const { config } = ctx;

  const source = submission.source.kind === 'text' ? parseRecipeSource(submission.source.text) : submission.source;
  const staged = await stageRecipe(source, {
    // Server-side paths only under the configured roots; none configured means none allowed.
    allowLocalPaths: config.recipeRoots.length > 0 ? config.recipeRoots : false,
    allowPrivateHosts: config.allowPrivateSources,
    githubBaseUrl: config.githubBaseUrl,
  });
  let recipe;
  try {
    recipe = await loadRecipe(staged.dir, {
      dataoneNodeUrl: config.dataoneNodeUrl,
      allowedInputPvcs: [config.workflowPvcName, ...config.allowedInputPvcs],
      // Where the engine keeps a claim's files on this machine (local), its pvc inputs must be folders there.
      claimFolder: (claim: string) => ctx.engine?.claimFolder(claim),
    });
  } finally {
    await staged.cleanup();
  }

  const { id, output } = recipe.config;
  await assertPublicInputs(recipe.inputs, config.allowPrivateSources);
  // Only pvc outputs (visualizations included) write the volume's published folder of the id.
  const publishes = output.type === 'pvc';
  if (publishes) await assertMayPublish(ctx.db, id, user);
  if (output.type === 'pvc' && !submission.overwrite && (await isPublished(ctx.db, id))) {
    throw new AlreadyPublishedError(id);
  }
  const uploadPrefix = `ogdc-inputs/${randomUUID()}`;
  const translation = translateRecipe(
    recipe,
    translateOptionsFrom(config, { submitter: user.name, overwrite: submission.overwrite, uploadPrefix }),
  );
  return { recipe, translation, uploadPrefix };
}

/**
 * Prepares a recipe (above) and submits it, recording the run. Nothing waits for a helper
 * workflow: publication state comes from the runs table. Returns the workflow name.
 */
export async function submitRecipe(
  ctx: ServiceContext,
  user: User,
  submission: Submission,
  warn: (err: unknown, what: string) => void,
): Promise<string> {
  const engine = requireEngine(ctx);
  const { recipe, translation, uploadPrefix } = await prepareSubmission(ctx, user, submission);
  const { id, name, output } = recipe.config;
  const publishes = output.type === 'pvc';

  const reservation = {
    userId: user.id,
    recipePath: submission.label,
    recipeId: id,
    recipeName: name,
    engine: engine.kind,
    outputType: output.type,
    overwrite: submission.overwrite,
  };
  // The claim and the reservation commit together: a refused or losing submission claims nothing.
  const reserve = () =>
    ctx.db.transaction(async (tx) => {
      if (publishes) await claimRecipe(tx, id, user);
      return reserveRun(tx, reservation);
    });
  let runId: number;
  try {
    runId = await reserve();
  } catch (err) {
    if (!(err instanceof RunInProgressError)) throw err;
    // The runs table may not know yet that the other run has finished: ask the engine, then try once more.
    const active = await findActiveRun(ctx.db, id);
    if (active) await refreshRun(ctx, active);
    runId = await reserve();
  }
  try {
    for (const upload of translation.uploads) await engine.putArtifact(upload.key, upload.body);
    // The local engine confines the run's artifact keys to its own prefix and this upload's.
    const created = await engine.submit(translation.workflow, { artifactReadPrefixes: [uploadPrefix] });
    const workflowName = created.metadata.name!;
    await markSubmitted(ctx.db, runId, workflowName, created.status?.phase ?? null);
    return workflowName;
  } catch (err) {
    const why = err instanceof EngineUnavailableError ? `not submitted: ${err.message}` : `not submitted: ${(err as Error).message}`;
    // The submission's own error is the answer; a failure to record it is logged (startup ends such reservations).
    await markNotSubmitted(ctx.db, runId, why).catch((markErr: unknown) => warn(markErr, `could not record run ${runId} as not submitted`));
    throw err;
  }
}
