/**
 * Where things live on the workflow volume (mounted at `/mnt/workflow` in every pod).
 * Published outputs sit at `<volume>/<recipe id>/`, the place the Python runner publishes to,
 * so existing consumers keep finding them. Per-run scratch space lives under `_ogdc-runs/`:
 * `_` cannot occur in a recipe id, so a recipe can never publish over it.
 */

export const VOLUME_NAME = 'workflow-volume';
export const VOLUME_MOUNT_PATH = '/mnt/workflow';

/** Folder holding a recipe's published output (pvc output, visualization results). */
export function publishedDir(recipeId: string): string {
  return `${VOLUME_MOUNT_PATH}/${recipeId}`;
}

/**
 * The run's own area of the volume, relative to its root; `{{workflow.name}}` makes it unique per
 * run. Recipe steps mount only this folder (as a volumeMount `subPath`), never the whole volume.
 */
export const RUN_AREA_SUBPATH = '_ogdc-runs/{{workflow.name}}';

/** Per-run scratch folder as every pod sees it: steps mount the run area exactly here. */
export const RUN_DIR = `${VOLUME_MOUNT_PATH}/${RUN_AREA_SUBPATH}`;

/** Publishing assembles the output here, then renames it into place in one step. */
export const PUBLISH_STAGING_DIR = `${VOLUME_MOUNT_PATH}/_ogdc-publishing/{{workflow.name}}`;

/** Where a pvc_mount input's claim is mounted, read-only, as in the Python runner. */
export function inputClaimMountPath(claim: string): string {
  return `/mnt/data/${claim}`;
}
