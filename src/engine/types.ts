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

export interface Engine {
  readonly kind: 'argo' | 'local';
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
   * Follows the engine's changes (Argo's watch stream with a periodic list; the local engine's
   * own updates) until the returned function is called. The listener must not throw.
   */
  watch(listener: (event: WorkflowEvent) => void): () => void;
  /** Readiness: resolves when the engine can take work, throws EngineUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
