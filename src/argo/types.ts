/**
 * The one model of Argo Workflows' `argoproj.io/v1alpha1` objects in this codebase: the translator produces it,
 * both engines consume it. Field names and meanings follow Argo's JSON schema (`shared/argo/schema.json`, checked
 * by schema.ts). The fields this project reads or writes are typed; every object also admits the rest of Argo's
 * fields (`[field: string]: unknown`), since the local engine runs manifests written for Argo, and whatever it does
 * not support is refused at submit by its admission, naming the field.
 */

/** Argo's open-ended objects: the typed fields plus the rest of its schema. */
type Open = { [field: string]: unknown };

/** A named string value: a template input/output, or an argument passed to one. */
export type Parameter = Open & {
  name: string;
  /** Literal value (may contain `{{...}}` tags Argo substitutes). */
  value?: string;
  /** Used when the caller passes no argument. */
  default?: string;
  enum?: string[];
  description?: string;
  /** Outputs: also published as `{{workflow.outputs.parameters.<globalName>}}`. */
  globalName?: string;
  /** Outputs: read from a file the container wrote (one trailing newline trimmed), an expression, a config map… */
  valueFrom?: ValueFrom;
};

export type ValueFrom = Open & {
  path?: string;
  expression?: string;
  jsonPath?: string;
  parameter?: string;
  default?: string;
  supplied?: Record<string, never>;
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
};

/** A file or directory moved in or out of a container through the artifact repository. */
export type Artifact = Open & {
  name: string;
  /** Where the artifact appears (input) or is read from (output) inside the container. */
  path?: string;
  /** Arguments only: `{{steps.X.outputs.artifacts.Y}}`, the producer's stored artifact. */
  from?: string;
  fromExpression?: string;
  mode?: number;
  optional?: boolean;
  subPath?: string;
  globalName?: string;
  /** `{none: {}}` stores raw bytes instead of Argo's default tar.gz. */
  archive?: { none?: Record<string, never>; tar?: { compressionLevel?: number }; zip?: Record<string, never> };
  /** Key-only location in the default artifact repository (bucket and credentials come from it). */
  s3?: Open & { key: string };
  raw?: { data: string };
  http?: Open & { url: string };
  git?: Open & { repo: string };
};

export type Inputs = { parameters?: Parameter[]; artifacts?: Artifact[] };
export type Outputs = Inputs & { result?: string; exitCode?: string };
export type Arguments = { parameters?: Parameter[]; artifacts?: Artifact[] };

/** Mounts a workflow volume into a container. */
export type VolumeMount = Open & {
  name: string;
  mountPath: string;
  /** Mounts only this folder of the volume (Argo substitutes `{{workflow.name}}` in it). */
  subPath?: string;
  readOnly?: boolean;
};

/** Container-level security settings (Kubernetes `SecurityContext`). */
export type ContainerSecurityContext = Open & {
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string; localhostProfile?: string };
};

/** Pod-level security settings (Kubernetes `PodSecurityContext`). */
export type PodSecurityContext = Open & {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  seccompProfile?: { type: string; localhostProfile?: string };
};

/** A workflow-level volume. */
export type Volume = Open & {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: Open;
};

/** Kubernetes resource requests and limits (`cpu`, `memory` quantities as strings). */
export type ResourceRequirements = { requests?: Record<string, string>; limits?: Record<string, string> };

/** An environment variable of a container. */
export type EnvVar = Open & { name: string; value?: string };

/** A container of a template (main, sidecar, init or daemon). */
export type Container = Open & {
  name?: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  resources?: ResourceRequirements;
  securityContext?: ContainerSecurityContext;
};

/** A script template: Argo writes `source` to a file and appends its path to `command`. */
export type Script = Container & { source: string };

/** `withSequence`: one child per number; `count`, `start` and `end` are strings or numbers as in Argo's schema. */
export type Sequence = { count?: string | number; start?: string | number; end?: string | number; format?: string };

/** What steps and DAG tasks share: the call of a template with arguments, a loop and a condition. */
type Call = Open & {
  name: string;
  template?: string;
  templateRef?: { name: string; template: string; clusterScope?: boolean };
  arguments?: Arguments;
  withSequence?: Sequence;
  /** A JSON list (usually `{{steps.X.outputs.result}}`); one child per element. */
  withParam?: string;
  withItems?: unknown[];
  when?: string;
  onExit?: string;
  hooks?: Record<string, LifecycleHook>;
  continueOn?: { failed?: boolean; error?: boolean };
};

export type LifecycleHook = Open & { template?: string; expression?: string; arguments?: Arguments };

/** One step of a steps template. */
export type WorkflowStep = Call;

/** One task of a DAG template; it starts once every task in `dependencies` has succeeded (or `depends` holds). */
export type DagTask = Call & { dependencies?: string[]; depends?: string };

export type RetryStrategy = Open & {
  limit?: string | number;
  retryPolicy?: 'Always' | 'OnFailure' | 'OnError' | 'OnTransientError';
  expression?: string;
  backoff?: { duration?: string | number; factor?: string | number; maxDuration?: string };
};

/** A template: exactly one of `container`, `script`, `steps`, `dag`, `suspend`, `http`, `data`, `resource`… */
export type Template = Open & {
  name: string;
  /** Pod annotations; `ogdc.dataone.org/network: egress` gives a local-engine pod network. */
  metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> };
  inputs?: Inputs;
  outputs?: Outputs;
  container?: Container;
  script?: Script;
  /** Outer list: sequential groups; inner list: steps run in parallel. */
  steps?: WorkflowStep[][];
  dag?: Open & { tasks: DagTask[]; target?: string; failFast?: boolean };
  suspend?: { duration?: string | number };
  retryStrategy?: RetryStrategy;
  activeDeadlineSeconds?: string | number;
  timeout?: string;
  parallelism?: number;
  volumes?: Volume[];
  securityContext?: PodSecurityContext;
};

export type ObjectMeta = {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  /** Kubernetes' version of the object; a watch resumes after it. */
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
};

export type WorkflowSpec = Open & {
  entrypoint?: string;
  arguments?: Arguments;
  serviceAccountName?: string;
  /** The whole run fails once it has run this long (`OGDC_WORKFLOW_DEADLINE_SECONDS`). */
  activeDeadlineSeconds?: string | number;
  /** Every pod's `securityContext` (`OGDC_POD_SECURITY=restricted`). */
  securityContext?: PodSecurityContext;
  /** Workflow-wide cap on running pods. */
  parallelism?: number;
  volumes?: Volume[];
  artifactGC?: { strategy: string };
  /** Succeeded workflows are deleted after this; failed ones are kept for inspection. */
  ttlStrategy?: { secondsAfterCompletion?: number; secondsAfterSuccess?: number; secondsAfterFailure?: number };
  templates?: Template[];
  onExit?: string;
  hooks?: Record<string, LifecycleHook>;
  suspend?: boolean;
  shutdown?: string;
  workflowTemplateRef?: { name: string; clusterScope?: boolean };
};

export type NodePhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';
export type WorkflowPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';

export interface NodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: 'Pod' | 'Steps' | 'StepGroup' | 'DAG' | 'TaskGroup' | 'Retry' | 'Skipped' | 'Suspend' | 'HTTP' | 'Container';
  templateName?: string;
  phase: NodePhase;
  boundaryID?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: string;
  inputs?: { parameters?: Array<{ name: string; value?: string }>; artifacts?: Array<Record<string, unknown>> };
  outputs?: {
    parameters?: Array<{ name: string; value?: string }>;
    artifacts?: Array<Record<string, unknown>>;
    result?: string;
    exitCode?: string;
  };
  children?: string[];
  outboundNodes?: string[];
  /** A daemon's node while it runs after its readiness (Argo: NodeStatus.Daemoned). */
  daemoned?: boolean;
  /** A daemoned node's address (`{{steps.X.ip}}`). */
  podIP?: string;
}

export interface WorkflowStatus {
  phase?: WorkflowPhase;
  startedAt?: string;
  finishedAt?: string;
  progress?: string;
  message?: string;
  nodes?: Record<string, NodeStatus>;
  outputs?: { parameters?: Array<{ name: string; value?: string }>; artifacts?: Array<Record<string, unknown>> };
}

/** An `argoproj.io/v1alpha1` Workflow, as Argo's JSON represents it. */
export interface Workflow {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Workflow';
  metadata: ObjectMeta;
  spec: WorkflowSpec;
  status?: WorkflowStatus;
}

/** The metadata the translator gives every Workflow it makes. */
export type WorkflowMetadata = Required<Pick<ObjectMeta, 'generateName' | 'namespace' | 'labels'>> & Pick<ObjectMeta, 'annotations'>;
