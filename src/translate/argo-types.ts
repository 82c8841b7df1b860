/**
 * The subset of Argo Workflows' `argoproj.io/v1alpha1` Workflow that the translator emits.
 * Field names and meanings follow Argo's JSON schema (`shared/argo/schema.json`); only what we
 * emit is typed, and everything here is inside the local engine's supported subset.
 * Object types are `type` aliases (not interfaces) so they stay assignable to the engine's
 * `Record<string, unknown>` spec.
 */

/** A named string value: a template input/output, or an argument passed to one. */
export type Parameter = {
  name: string;
  /** Literal value (may contain `{{...}}` tags Argo substitutes). */
  value?: string;
  /** Used when the caller passes no argument. */
  default?: string;
  /** Output parameters: read from a file the container wrote (one trailing newline trimmed). */
  valueFrom?: { path: string };
};

/** A file or directory moved in or out of a container through the artifact repository. */
export type Artifact = {
  name: string;
  /** Where the artifact appears (input) or is read from (output) inside the container. */
  path?: string;
  /** Arguments only: `{{steps.X.outputs.artifacts.Y}}`, the producer's stored artifact. */
  from?: string;
  /** `{none: {}}` stores raw bytes instead of Argo's default tar.gz. */
  archive?: { none: Record<string, never> };
  /** Key-only location in the default artifact repository (bucket and credentials come from it). */
  s3?: { key: string };
};

/** Mounts a workflow volume into a container. */
export type VolumeMount = {
  name: string;
  mountPath: string;
  /** Mounts only this folder of the volume (Argo substitutes `{{workflow.name}}` in it). */
  subPath?: string;
  readOnly?: boolean;
};

/** Container-level security settings (Kubernetes `SecurityContext`, the subset we emit). */
export type ContainerSecurityContext = {
  allowPrivilegeEscalation: false;
  capabilities: { drop: string[] };
};

/** Pod-level security settings (Kubernetes `PodSecurityContext`), emitted for "restricted". */
export type PodSecurityContext = {
  runAsNonRoot: true;
  runAsUser: number;
  runAsGroup: number;
  fsGroup: number;
  seccompProfile: { type: 'RuntimeDefault' };
};

/** A workflow-level volume; we only use PersistentVolumeClaims. */
export type Volume = {
  name: string;
  persistentVolumeClaim: { claimName: string; readOnly?: boolean };
};

/** Kubernetes resource requests and limits (`cpu`, `memory` quantities as strings). */
export type ResourceRequirements = {
  requests: Record<string, string>;
  limits: Record<string, string>;
};

/** An environment variable of a container. */
export type EnvVar = { name: string; value: string };

/** The main container of a container template. */
export type Container = {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent';
  command: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  resources?: ResourceRequirements;
  securityContext: ContainerSecurityContext;
};

/** A script template: Argo writes `source` to a file and appends its path to `command`. */
export type Script = {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent';
  command: string[];
  source: string;
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  resources?: ResourceRequirements;
  securityContext: ContainerSecurityContext;
};

/** `withSequence`: one child per number; `count` is a string as in Argo's schema. */
export type Sequence = { count: string };

/** One step of a steps template. */
export type WorkflowStep = {
  name: string;
  template: string;
  arguments?: { parameters?: Parameter[]; artifacts?: Artifact[] };
  withSequence?: Sequence;
  /** A JSON list (usually `{{steps.X.outputs.result}}`); one child per element. */
  withParam?: string;
};

/** One task of a DAG template; it starts once every task in `dependencies` has succeeded. */
export type DagTask = {
  name: string;
  template: string;
  dependencies?: string[];
  arguments?: { parameters?: Parameter[]; artifacts?: Artifact[] };
  /** A JSON list (usually `{{tasks.X.outputs.parameters.Y}}`); one child per element, `{{item}}` in arguments. */
  withParam?: string;
};

export type Inputs = { parameters?: Parameter[]; artifacts?: Artifact[] };
export type Outputs = { parameters?: Parameter[]; artifacts?: Artifact[] };

/** A template: exactly one of `container`, `script`, `steps` or `dag`. */
export type Template = {
  name: string;
  /** Pod annotations; `ogdc.dataone.org/network: egress` gives a local-engine pod network. */
  metadata?: { annotations: Record<string, string> };
  inputs?: Inputs;
  outputs?: Outputs;
  container?: Container;
  script?: Script;
  /** Outer list: sequential groups; inner list: steps run in parallel. */
  steps?: WorkflowStep[][];
  dag?: { tasks: DagTask[] };
  retryStrategy?: { limit: string };
};

export type WorkflowMetadata = {
  generateName: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
};

export type WorkflowSpec = {
  entrypoint: string;
  serviceAccountName: string;
  /** The whole run fails once it has run this long (`OGDC_WORKFLOW_DEADLINE_SECONDS`). */
  activeDeadlineSeconds: number;
  /** Every pod's `securityContext` under `OGDC_POD_SECURITY=restricted`. */
  securityContext?: PodSecurityContext;
  /** Workflow-wide cap on running pods (parallel and visualization workflows). */
  parallelism?: number;
  volumes: Volume[];
  artifactGC: { strategy: 'OnWorkflowDeletion' };
  /** Succeeded workflows are deleted after this; failed ones are kept for inspection. */
  ttlStrategy: { secondsAfterSuccess: number };
  templates: Template[];
};
