/** A part of the benchmark set-up (a process, a cluster, a login) could not be started. */
export class BenchSetupError extends Error {
  constructor(
    readonly part: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${part}: ${message}`, options);
    this.name = 'BenchSetupError';
  }
}

/** wrk exited badly or printed no summary. */
export class WrkError extends Error {
  constructor(
    readonly url: string,
    message: string,
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(`wrk against ${url}: ${message}`, options);
    this.name = 'WrkError';
  }
}

/** A measured request answered with an unexpected status. */
export class UnexpectedResponseError extends Error {
  constructor(
    readonly request: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${request} answered ${status}: ${body.slice(0, 300)}`);
    this.name = 'UnexpectedResponseError';
  }
}
