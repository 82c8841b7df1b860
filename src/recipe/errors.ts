/** One thing wrong with a recipe: the file, the key path inside it (may be empty) and what was expected. */
export interface RecipeProblem {
  file: string;
  path: string;
  message: string;
  /** 1-based line in `file`, when known. */
  line?: number;
}

/** Formats a problem as one line: `meta.yml: output.type (line 3): expected ...`. */
export function formatProblem(problem: RecipeProblem): string {
  const where = [problem.path, problem.line === undefined ? '' : `(line ${problem.line})`].filter(Boolean).join(' ');
  return where ? `${problem.file}: ${where}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}

/** The recipe is invalid; `problems` lists everything found, not just the first. The service answers 422. */
export class RecipeValidationError extends Error {
  constructor(
    readonly problems: RecipeProblem[],
    options?: { cause?: unknown },
  ) {
    super(problems.map(formatProblem).join('\n'), options);
    this.name = 'RecipeValidationError';
  }
}

/** The DataONE member node could not be queried (network, timeout, bad answer); names the node. */
export class DataoneUnavailableError extends Error {
  constructor(
    readonly nodeUrl: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DataoneUnavailableError';
  }
}

/** A recipe source is malformed, unsupported, forbidden or unsafe (the service answers 400). */
export class RecipeSourceError extends Error {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RecipeSourceError';
  }
}

/** A well-formed recipe source could not be fetched (clone failed, download failed, timeout). */
export class RecipeSourceUnavailableError extends Error {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RecipeSourceUnavailableError';
  }
}
