/**
 * The workflow engine: where an Argo Workflow manifest runs. Two implementations,
 * chosen once at startup: `argo` (the Argo Server REST API) and `local` (this machine).
 */

import type { Workflow } from '../argo/types.ts';

export type { NodePhase, NodeStatus, Workflow, WorkflowPhase, WorkflowStatus } from '../argo/types.ts';

/** One line of a node's log. */
export interface LogLine {
  /** Pod name as Argo names it. */
  podName: string;
  content: string;
}

export interface SubmitOptions {
  /** `-p NAME=VALUE` overrides of `spec.arguments.parameters`. */
  parameters?: Record<string, string>;
  /**
   * Local engine: confines the workflow's artifact keys (as the `ogdc/submitter` label does): it writes only under
   * `<workflow name>/` and reads that and these prefixes (the service's upload prefix). Argo ignores it.
   */
  artifactReadPrefixes?: string[];
}

export interface ResumeOptions {
  /** Values of the suspended nodes' supplied output parameters (`argo node set --output-parameter`). */
  parameters?: Record<string, string>;
}

export interface LogOptions {
  /** Only this node (node id or pod name); all nodes when absent. */
  node?: string;
  /** Keep streaming until the workflow finishes. */
  follow?: boolean;
  /** Local engine: start each node's log at this byte (the first partial line is skipped). */
  offset?: number;
  /** Local engine: only the last this many bytes of each node's log (the first partial line is skipped). */
  tailBytes?: number;
}

/**
 * One change the engine reports. `LISTED` is a complete list of our workflows (a start or a
 * safety-net resync): a workflow missing from it no longer exists on the engine.
 */
export type WorkflowEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; workflow: Workflow } | { type: 'LISTED'; workflows: Workflow[] };

/**
 * What the service and the CLI ask of an engine. Callers never test which engine they hold: what differs between the
 * two is said by these members (see src/engine/README.md).
 */
export interface Engine {
  /** The engine's name, recorded with each run as data (`recipe_runs.engine`); never a reason to branch. */
  readonly kind: 'argo' | 'local';
  /**
   * Whether every service process on one database sees the same workflows (Argo: one cluster), so one of them at a
   * time follows `watch`; false when the workflows run inside this process (local), which then follows its own.
   */
  readonly shared: boolean;
  /** Submits a manifest; resolves with the created Workflow (its `metadata.name` set). */
  submit(manifest: Workflow, options?: SubmitOptions): Promise<Workflow>;
  /** The workflow with its current status; throws WorkflowNotFoundError. */
  get(name: string): Promise<Workflow>;
  logs(name: string, options?: LogOptions): AsyncIterable<LogLine>;
  /** Stops a running workflow (running nodes are terminated, the workflow ends Failed). */
  stop(name: string): Promise<void>;
  delete(name: string): Promise<void>;
  /**
   * Resumes a suspended workflow: its Suspend nodes succeed, their `valueFrom.supplied` outputs set from
   * `parameters` (else their defaults), and a `spec.suspend` is cleared. Throws WorkflowNotSuspendedError when
   * nothing is suspended, ResumeRejectedError when an output cannot be set.
   */
  resume(name: string, options?: ResumeOptions): Promise<void>;
  /**
   * Suspends a running workflow as `argo suspend` does (`spec.suspend: true`): running pods go on, no new node
   * starts until resume. Throws WorkflowCompletedError when it has finished.
   */
  suspend(name: string): Promise<void>;
  /** Workflows whose labels match a Kubernetes label selector (`a=b,c=d`). */
  list(labelSelector: string): Promise<Workflow[]>;
  /** Stores an object in the workflow artifact repository under `key` (key-only artifacts read it). */
  putArtifact(key: string, body: Buffer | string): Promise<void>;
  /** Reads an object from the artifact repository; throws ArtifactNotFoundError. */
  getArtifact(key: string): Promise<NodeJS.ReadableStream>;
  /**
   * A time-limited URL a user fetches the artifact from without this service (Argo: presigned on the public S3
   * endpoint; throws ArtifactNotFoundError when there is no such object), or undefined when only this service can
   * serve it (local: through `getArtifact`, behind a link the service signs).
   */
  artifactLink(key: string, lifetimeSeconds: number): Promise<string | undefined>;
  /**
   * The folder on this machine that holds a PersistentVolumeClaim's files (local: `<data dir>/volumes/<claim>`), so
   * a recipe's pvc inputs can be checked before submission; undefined when the claim is not on this machine (Argo).
   */
  claimFolder(claim: string): string | undefined;
  /**
   * Follows the engine's changes until the returned function is called. The first event is a `LISTED` of every
   * workflow the engine holds; changes follow (Argo: its watch stream, relisted periodically and after a reconnect;
   * local: its own updates, which miss nothing). The listener must not throw.
   */
  watch(listener: (event: WorkflowEvent) => void): () => void;
  /** Readiness: resolves when the engine can take work, throws EngineUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
