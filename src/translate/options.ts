import type { Config } from '../config/index.ts';
import type { TranslateOptions } from './types.ts';

/** Translation settings from the service configuration, for one submission. */
export function translateOptionsFrom(
  config: Config,
  submission: { submitter: string | undefined; overwrite: boolean; uploadPrefix: string },
): TranslateOptions {
  return {
    namespace: config.argoNamespace,
    pvcName: config.workflowPvcName,
    serviceAccountName: config.serviceAccountName,
    runnerImage: config.runnerImage,
    ...(config.vizWorkflowImage ? { vizWorkflowImage: config.vizWorkflowImage } : {}),
    imagePullPolicy: config.imagePullPolicy,
    maxParallelLimit: config.maxParallelLimit,
    workflowDeadlineSeconds: config.workflowDeadlineSeconds,
    podSecurity: config.podSecurity,
    allowPrivateSources: config.allowPrivateSources,
    ...submission,
  };
}
