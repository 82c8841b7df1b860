/** A CLI failure with the message the user reads and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A non-2xx answer of the OGDC API, printed as the Python CLI prints it. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly detail: unknown,
  ) {
    const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
    super(`API Error with status code ${status}: ${reason}.\nAPI Error details: ${text}`);
    this.name = 'ApiError';
  }
}
