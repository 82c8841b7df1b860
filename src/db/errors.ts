/** Thrown when the database cannot be reached; the service answers 503. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * Text the database refuses to store or compare (a NUL character, an invalid
 * byte sequence): the request's fault, so the service answers 400, not 500.
 */
export class DatabaseInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseInputError';
  }
}

// 22021 character_not_in_repertoire (NUL in text), 22P05 untranslatable_character.
const INPUT_CODES = new Set(['22021', '22P05']);

/** The error to throw for a failed query: DatabaseInputError for text the database cannot hold, else `err` itself. */
export function translateInputError(err: unknown): unknown {
  const code = (err as { code?: string } | null)?.code;
  if (code && INPUT_CODES.has(code))
    return new DatabaseInputError('the request contains characters that cannot be stored, such as a NUL character', { cause: err });
  return err;
}

/** Thrown when a unique constraint rejects a row (23505). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505';
}
