/**
 * Errors of the artifact store. They have their own base, so callers decide what they mean:
 * the Argo engine wraps them as engine errors, the HTTP edge maps them to statuses.
 */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** The S3 endpoint could not be reached, timed out, or answered 5xx (the service answers 503). */
export class S3UnavailableError extends StorageError {
  constructor(
    readonly endpoint: string,
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'S3UnavailableError';
  }
}

/** No object under `key` in `bucket` (S3 `NoSuchKey`, or a HEAD 404). */
export class S3ObjectNotFoundError extends StorageError {
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`S3 object "${key}" not found in bucket "${bucket}"`);
    this.name = 'S3ObjectNotFoundError';
  }
}

/** S3 refused a request (bad credentials or signature, no such bucket…); `s3Code` is S3's `<Code>`. */
export class S3RequestError extends StorageError {
  constructor(
    readonly operation: string,
    readonly key: string,
    readonly status: number,
    readonly s3Code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'S3RequestError';
  }
}
