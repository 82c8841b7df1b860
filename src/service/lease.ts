/**
 * A lease that at most one replica sharing a PostgreSQL database holds at a time: a
 * session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own. When
 * the holder dies its session ends and the lock with it; the others try every `retryMs`
 * and one takes over. The holder checks its session as often, and gives the lease up when
 * the session is lost (a server restart), to try again on a new one. PGlite is one
 * process's database: the lease is always held.
 */
import type { Db, DedicatedConnection } from '../db/types.ts';

export interface Lease {
  readonly held: boolean;
  close(): Promise<void>;
}

interface LeaseOptions {
  /** The advisory lock key: one per kind of lease. */
  key: number;
  retryMs?: number;
  onAcquire?: () => void;
  onLose?: () => void;
  log?: (message: string) => void;
}

/** PGlite's lease: one process has the database, so it holds the lease until closed. */
function alwaysHeld(options: LeaseOptions): Lease {
  let held = true;
  options.onAcquire?.();
  return {
    get held() {
      return held;
    },
    async close() {
      held = false;
    },
  };
}

export async function startLease(db: Db, options: LeaseOptions): Promise<Lease> {
  if (!db.dedicated) return alwaysHeld(options);
  let held = false;
  let closed = false;
  const dedicated = db.dedicated.bind(db);
  const retryMs = options.retryMs ?? 1000;
  let conn: DedicatedConnection | undefined;
  let timer: NodeJS.Timeout | undefined;

  function lose(): void {
    const wasHeld = held;
    held = false;
    const old = conn;
    conn = undefined;
    void old?.close();
    if (wasHeld) options.onLose?.();
  }

  async function tick(): Promise<void> {
    try {
      if (!conn) {
        conn = await dedicated();
        conn.onLost(() => {
          options.log?.('lease connection lost');
          lose();
        });
      }
      if (held) {
        await conn.query('SELECT 1');
      } else {
        const rows = await conn.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [options.key]);
        if (rows[0]?.got && !closed) {
          held = true;
          options.onAcquire?.();
        }
      }
    } catch (err) {
      options.log?.(`lease check failed: ${(err as Error).message}`);
      lose();
    }
  }

  async function loop(): Promise<void> {
    await tick();
    if (!closed) timer = setTimeout(() => void loop(), retryMs);
  }
  await loop();

  return {
    get held() {
      return held;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      const wasHeld = held;
      held = false;
      if (wasHeld) options.onLose?.();
      await conn?.close();
      conn = undefined;
    },
  };
}
