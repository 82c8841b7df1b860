/** Errors the HTTP edge turns into `{"detail": …}` responses; see error-handler.ts. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  /** What `detail` carries: the message, unless a subclass has structured detail. */
  get detail(): unknown {
    return this.message;
  }

  /** The answer's body: `{"detail": …}`, and what a subclass adds beside it (its route's schema lists those fields). */
  get body(): { detail: unknown } {
    return { detail: this.detail };
  }
}

/** A request field that fails validation in code (not in a schema): 422 in FastAPI's list shape. */
export class RequestValidationError extends HttpError {
  constructor(readonly issues: Array<{ type: string; loc: Array<string | number>; msg: string }>) {
    super(422, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
  }

  override get detail(): unknown {
    return this.issues;
  }
}

const BEARER = { 'WWW-Authenticate': 'Bearer' };

/** No or an invalid bearer token. */
export class NotAuthenticatedError extends HttpError {
  constructor(message = 'Not authenticated') {
    super(401, message, BEARER);
  }
}

/** A token that does not verify, has expired, or names a user who no longer exists. */
export class InvalidCredentialsError extends HttpError {
  constructor() {
    super(401, 'Could not validate credentials.', BEARER);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(429, `Too many failed logins from this client or for this user name; try again in ${retryAfterSeconds} seconds.`, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
