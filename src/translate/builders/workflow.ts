import type { Workflow } from '../../engine/types.ts';
import type { Recipe } from '../../recipe/types.ts';
import type { Container, Template, WorkflowMetadata, WorkflowSpec } from '../../argo/types.ts';
import { RUN_AREA_SUBPATH, RUN_DIR, VOLUME_MOUNT_PATH, VOLUME_NAME } from '../layout.ts';
import { makeGenerateName, toLabelValue, type WorkflowKind } from '../naming.ts';
import type { TranslateOptions } from '../types.ts';
import { containerSecurityContext, deadlineSeconds, podSecurityContext } from './security.ts';

const ONE_DAY = 24 * 60 * 60;

/** Succeeded runs are kept a day; `temporary` outputs a week, so users have time to download them. */
export function ttlSecondsAfterSuccess(recipe: Recipe): number {
  return recipe.config.output.type === 'temporary' ? 7 * ONE_DAY : ONE_DAY;
}

/** Workflow metadata: generated name, namespace and the labels runs are found by. */
export function buildMetadata(recipe: Recipe, kind: WorkflowKind, options: TranslateOptions): WorkflowMetadata {
  const labels: Record<string, string> = {
    // Every workflow we emit transforms data, so Argo's archive keeps it.
    'ogdc/persist-workflow-in-archive': 'true',
  };
  const recipeLabel = toLabelValue(recipe.config.id);
  if (recipeLabel) labels['ogdc/recipe-id'] = recipeLabel;
  const submitter = options.submitter === undefined ? '' : toLabelValue(options.submitter);
  if (submitter) labels['ogdc/submitter'] = submitter;
  return { generateName: makeGenerateName(recipe.config.id, kind), namespace: options.namespace, labels };
}

/** The spec fields every OGDC workflow shares, around the given templates (entrypoint `main`). */
export function buildSpec(recipe: Recipe, options: TranslateOptions, templates: Template[], parallelism?: number): WorkflowSpec {
  const securityContext = podSecurityContext(options);
  return {
    entrypoint: 'main',
    serviceAccountName: options.serviceAccountName,
    activeDeadlineSeconds: deadlineSeconds(options),
    ...(securityContext === undefined ? {} : { securityContext }),
    ...(parallelism === undefined ? {} : { parallelism }),
    volumes: [{ name: VOLUME_NAME, persistentVolumeClaim: { claimName: options.pvcName } }],
    artifactGC: { strategy: 'OnWorkflowDeletion' },
    ttlStrategy: { secondsAfterSuccess: ttlSecondsAfterSuccess(recipe) },
    templates,
  };
}

/** Assembles the Workflow object from its metadata and spec. */
export function buildWorkflow(metadata: WorkflowMetadata, spec: WorkflowSpec): Workflow {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata, spec };
}

/**
 * What of the workflow volume a pod sees: nothing, only the run's own area (mounted at
 * `RUN_DIR`, so paths are the same as under the whole volume), or the whole volume (publish and
 * the service-written visualization steps: the only pods that write published outputs).
 */
type VolumeAccess = 'none' | 'run-area' | 'volume';

export function volumeMounts(access: VolumeAccess): Pick<Container, 'volumeMounts'> {
  if (access === 'none') return {};
  if (access === 'run-area') return { volumeMounts: [{ name: VOLUME_NAME, mountPath: RUN_DIR, subPath: RUN_AREA_SUBPATH }] };
  return { volumeMounts: [{ name: VOLUME_NAME, mountPath: VOLUME_MOUNT_PATH }] };
}

/**
 * A runner-image container running `script` with `sh -c`. `extraArgs` become `$0`, `$1`…,
 * which is how recipe lines reach the script without any shell quoting.
 */
export function runnerContainer(
  options: TranslateOptions,
  script: string,
  { volume, extraArgs = [] }: { volume: VolumeAccess; extraArgs?: string[] },
): Container {
  return {
    image: options.runnerImage,
    imagePullPolicy: options.imagePullPolicy,
    command: ['sh', '-c'],
    args: [script, ...extraArgs],
    ...volumeMounts(volume),
    securityContext: containerSecurityContext(),
  };
}
