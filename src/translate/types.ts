import type { Workflow } from '../engine/types.ts';

type PodSecurityLevel = 'baseline' | 'restricted';

/** Deployment settings the translator needs; the service fills them from `Config`. */
export interface TranslateOptions {
  /** `ARGO_NAMESPACE`. */
  namespace: string;
  /** PVC mounted as `workflow-volume` at `/mnt/workflow`. */
  pvcName: string;
  serviceAccountName: string;
  /** `ghcr.io/qgreenland-net/ogdc-runner:TAG`: runs fetch, recipe steps and publish. */
  runnerImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent';
  /** Image with pdgstaging for visualization workflows; a pinned default when absent. */
  vizImage?: string;
  /** pdgworkflow image of the parallel visualization pipeline; `ghcr.io/permafrostdiscoverygateway/pdgworkflow:latest` when absent. */
  vizWorkflowImage?: string;
  /** `spec.parallelism` of parallel and visualization workflows. */
  maxParallelLimit: number;
  /** User name, recorded as the `ogdc/submitter` label. */
  submitter?: string;
  /** Replace an already published output instead of failing. */
  overwrite: boolean;
  /** `spec.activeDeadlineSeconds` of every manifest (`OGDC_WORKFLOW_DEADLINE_SECONDS`); default 86400. */
  workflowDeadlineSeconds?: number;
  /** Kubernetes Pod Security Standard the pods meet (`OGDC_POD_SECURITY`); default `baseline`. */
  podSecurity?: PodSecurityLevel;
  /** Let the fetch step download from loopback/private/link-local hosts (`OGDC_ALLOW_PRIVATE_SOURCES`). */
  allowPrivateSources?: boolean;
  /** Unique per submission (e.g. `ogdc-inputs/<uuid>`); every key in `uploads` starts with it. */
  uploadPrefix: string;
}

/** One object the submitter stores in the artifact repository before submitting the workflow. */
export interface Upload {
  key: string;
  body: string;
}

export interface TranslationResult {
  workflow: Workflow;
  /** Objects the workflow reads as key-only artifacts; store them BEFORE submitting. */
  uploads: Upload[];
}
