/** Errors raised while the local engine runs a workflow; each carries the facts the node message needs. */

/** A `{{tag}}` could not be resolved where Argo requires it (loop expansion, step references). */
export class UnresolvedVariableError extends Error {
  constructor(readonly tag: string) {
    super(`failed to resolve {{${tag}}}`);
    this.name = 'UnresolvedVariableError';
  }
}

/** A tag names the output of a Skipped/Omitted step or task that declares no `valueFrom.default` (SEMANTICS §2). */
export class AbsentOutputError extends UnresolvedVariableError {
  constructor(tag: string) {
    super(tag);
    this.message = `unable to substitute {{${tag}}}: output is an absent optional (skipped/omitted node with no default)`;
    this.name = 'AbsentOutputError';
  }
}

/** A `when` condition that does not parse or does not give a boolean. */
export class WhenExpressionError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`Invalid 'when' expression '${expression}': ${reason}`);
    this.name = 'WhenExpressionError';
  }
}

/** A DAG task's `depends` that does not parse. */
export class DependsExpressionError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`invalid depends expression '${expression}': ${reason}`);
    this.name = 'DependsExpressionError';
  }
}

/** `withItems`/`withParam`/`withSequence` could not be expanded. */
export class LoopExpansionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoopExpansionError';
  }
}

/** `sandbox: 'bwrap'` was asked for but bubblewrap is not installed or does not work here. */
export class SandboxUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxUnavailableError';
  }
}

/** A node's pod could not be set up or its outputs collected (Argo's executor errors): the node ends `Error`. */
export class PodSetupError extends Error {
  constructor(
    readonly nodeName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PodSetupError';
  }
}

/** A workflow file that cannot be read or parsed; names the file. */
export class ManifestFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'ManifestFileError';
  }
}

/** An `{{= expr}}` tag or `valueFrom.expression` that does not parse or evaluate in the local engine's subset. */
export class ExpressionError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`invalid expression '${expression}': ${reason}`);
    this.name = 'ExpressionError';
  }
}
