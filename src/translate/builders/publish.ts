import type { Recipe } from '../../recipe/types.ts';
import { manifestOutputKey } from '../../argo/keys.ts';
import type { Template } from '../../argo/types.ts';
import { PUBLISH_STAGING_DIR, RUN_DIR, publishedDir } from '../layout.ts';
import { shQuote } from '../quote.ts';
import type { TranslateOptions } from '../types.ts';
import { runnerContainer } from './workflow.ts';

/** Name of the zip artifact of `temporary` outputs; the Python runner and CLI look for it. */
const PUBLISHED_ZIP_ARTIFACT = 'published_zip';

/**
 * Where publish finds the final output: the last step's `output-dir` artifact (sequential), or
 * folders on the workflow volume (parallel: one per partition; a shell glob is allowed).
 */
type PublishSource = { kind: 'artifact' } | { kind: 'volume'; dirs: string };

/** Fails the step when `$STAGE` is empty: an empty result is a broken recipe, not an output. */
const EMPTY_CHECK = `if [ -z "$(ls -A "$STAGE")" ]; then
  echo "publish: nothing to publish: the last step wrote no files" >&2
  exit 1
fi`;

/** Shell lines copying the source into `$STAGE`, failing when there is nothing to publish. */
function gatherScript(source: PublishSource): string {
  const copy =
    source.kind === 'artifact'
      ? 'cp -R /input_dir/. "$STAGE"/'
      : `for dir in ${source.dirs}; do
  [ -d "$dir" ] || continue
  cp -R "$dir"/. "$STAGE"/
done`;
  return `rm -rf "$STAGE"
mkdir -p "$STAGE"
${copy}
${EMPTY_CHECK}`;
}

/** Empties the run's area once the output is out, keeping its partition manifests so the run can be inspected afterwards. */
function runAreaCleanup(): string {
  return `find "${RUN_DIR}" -mindepth 1 -maxdepth 1 ! -name partitions -exec rm -rf {} +\n`;
}

/** Script of `pvc` publishing: refuse (or, with overwrite, replace) an existing output, then move the new one into place. */
function pvcPublishScript(recipeId: string, source: PublishSource, overwrite: boolean): string {
  const dest = shQuote(publishedDir(recipeId));
  const cleanup = source.kind === 'volume' ? runAreaCleanup() : '';
  return `set -eu
DEST=${dest}
STAGE="${PUBLISH_STAGING_DIR}"
OVERWRITE=${overwrite}
if [ -e "$DEST" ] && [ "$OVERWRITE" != true ]; then
  echo "publish: recipe ${shQuote(recipeId)} already has a published output at $DEST; submit with overwrite to replace it" >&2
  exit 1
fi
${gatherScript(source)}
rm -rf "$DEST"
mv "$STAGE" "$DEST"
${cleanup}echo "publish: output published to $DEST"
`;
}

/** Script of `temporary` publishing: zip the output into `/tmp/<id>.zip`. */
function temporaryPublishScript(recipeId: string, source: PublishSource): string {
  const stage = source.kind === 'artifact' ? '/input_dir' : `${RUN_DIR}/publish`;
  const gather = source.kind === 'artifact' ? EMPTY_CHECK : gatherScript(source);
  const cleanup = source.kind === 'volume' ? runAreaCleanup() : '';
  return `set -eu
STAGE="${stage}"
ZIP=${shQuote(`/tmp/${recipeId}.zip`)}
${gather}
rm -f "$ZIP"
(cd "$STAGE" && zip -r -q "$ZIP" .)
${cleanup}echo "publish: output zipped to $ZIP"
`;
}

/** The `publish` template for the recipe's output type (`pvc` or `temporary`; callers reject others). */
export function buildPublishTemplate(recipe: Recipe, source: PublishSource, options: TranslateOptions): Template {
  const id = recipe.config.id;
  const inputs = source.kind === 'artifact' ? { inputs: { artifacts: [{ name: 'input-dir', path: '/input_dir/' }] } } : {};
  if (recipe.config.output.type === 'temporary') {
    return {
      name: 'publish',
      ...inputs,
      outputs: {
        artifacts: [
          {
            name: PUBLISHED_ZIP_ARTIFACT,
            path: `/tmp/${id}.zip`,
            archive: { none: {} },
            s3: { key: manifestOutputKey(id) },
          },
        ],
      },
      container: runnerContainer(options, temporaryPublishScript(id, source), { volume: source.kind === 'volume' ? 'volume' : 'none' }),
    };
  }
  return {
    name: 'publish',
    ...inputs,
    container: runnerContainer(options, pvcPublishScript(id, source, options.overwrite), { volume: 'volume' }),
  };
}
