/**
 * A statement run often enough to be parsed and planned once per session:
 * `name` is a plain lower-case identifier, `text` uses `$1`, `$2`, … placeholders.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs a prepared statement (prepared on first use); same rows and errors as `query(statement.text, params)`. */
  prepared<R = Record<string, unknown>>(statement: PreparedStatement, params: unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The store of record: PGlite (embedded) or a PostgreSQL server. Both speak the
 * same SQL; code above this interface never knows which one it has.
 */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * A connection of its own, outside the pool, for session state (advisory locks, LISTEN).
   * PostgreSQL only: PGlite is one process's database, where no other replica can exist.
   */
  dedicated?(): Promise<DedicatedConnection>;
  close(): Promise<void>;
}

/** One PostgreSQL session held open: its locks and LISTENs end when it does. */
export interface DedicatedConnection {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** NOTIFY payloads on channels this session LISTENs to. */
  onNotification(listener: (channel: string, payload: string) => void): void;
  /** Called once when the session is lost (server restart, network); the connection is unusable afterwards. */
  onLost(listener: (err: Error) => void): void;
  close(): Promise<void>;
}
