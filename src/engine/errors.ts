/** The engine (Argo Server, artifact store) cannot be reached or failed; the service answers 503. */
export class EngineUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineUnavailableError';
  }
}

/** No workflow of that name exists on the engine. */
export class WorkflowNotFoundError extends Error {
  constructor(readonly workflowName: string) {
    super(`workflow "${workflowName}" not found`);
    this.name = 'WorkflowNotFoundError';
  }
}

/** The engine refused a manifest (schema, unsupported field); `field` names what was refused. */
export class ManifestRejectedError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ManifestRejectedError';
  }
}

/** An artifact key has no object in the artifact repository. */
export class ArtifactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`artifact "${key}" not found`);
    this.name = 'ArtifactNotFoundError';
  }
}

/** A resume asked of a workflow with no suspended node and no `spec.suspend` (finished ones included). */
export class WorkflowNotSuspendedError extends Error {
  constructor(readonly workflowName: string) {
    super(`workflow "${workflowName}" is not suspended`);
    this.name = 'WorkflowNotSuspendedError';
  }
}

/** A suspend asked of a workflow that has finished (Argo: "cannot suspend completed workflows"). */
export class WorkflowCompletedError extends Error {
  constructor(readonly workflowName: string) {
    super(`cannot suspend completed workflows: workflow "${workflowName}"`);
    this.name = 'WorkflowCompletedError';
  }
}

/** The engine refused a resume: an output it cannot set, or one left without a value (Argo's wording). */
export class ResumeRejectedError extends Error {
  constructor(
    readonly workflowName: string,
    message: string,
  ) {
    super(message);
    this.name = 'ResumeRejectedError';
  }
}
