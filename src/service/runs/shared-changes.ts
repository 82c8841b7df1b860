/**
 * Run changes shared by every replica on one PostgreSQL: a change is delivered to this
 * process's listeners at once and sent to the others with `NOTIFY ogdc_run_changes`
 * (payload: workflow name, user id and the sending replica); each replica LISTENs on a
 * connection of its own, reads the run's row and delivers it. The LISTEN connection is
 * reopened after it is lost (a PostgreSQL restart), with back-off. On PGlite (one process)
 * this is the in-process fan-out.
 */
import { randomUUID } from 'node:crypto';
import type { Db, DedicatedConnection } from '../../db/types.ts';
import { createRunChanges, type RunChanges } from './changes.ts';

const RUN_CHANGES_CHANNEL = 'ogdc_run_changes';

interface SharedRunChanges extends RunChanges {
  close(): Promise<void>;
}

/** Delivers to this process's listeners the run another replica's notification names, as its row now is. */
async function deliverNotification(
  db: Db,
  local: RunChanges,
  replica: string,
  payload: string,
  log: (message: string) => void,
): Promise<void> {
  let message: { w?: unknown; u?: unknown; r?: unknown };
  try {
    message = JSON.parse(payload) as typeof message;
  } catch {
    log(`ignored a ${RUN_CHANGES_CHANNEL} notification that is not JSON: ${payload.slice(0, 200)}`);
    return;
  }
  if (message.r === replica || typeof message.w !== 'string') return;
  const rows = await db.query<{ user_id: string | number; phase: string | null; progress: string | null; message: string | null }>(
    'SELECT user_id, phase, progress, message FROM recipe_runs WHERE workflow_name = $1',
    [message.w],
  );
  const row = rows[0];
  if (!row) return;
  local.publish({
    workflowName: message.w,
    userId: Number(row.user_id),
    phase: row.phase,
    progress: row.progress,
    message: row.message,
    at: new Date().toISOString(),
  });
}

export async function createSharedRunChanges(db: Db, log: (message: string) => void = () => {}): Promise<SharedRunChanges> {
  const local = createRunChanges(log);
  if (!db.dedicated) return { ...local, close: async () => {} };
  const dedicated = db.dedicated.bind(db);
  const replica = randomUUID();
  let conn: DedicatedConnection | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function connect(backoff: number): Promise<void> {
    if (closed) return;
    try {
      const c = await dedicated();
      c.onNotification(
        (_channel, payload) =>
          void deliverNotification(db, local, replica, payload, log).catch((err: unknown) =>
            log(`run change not delivered: ${(err as Error).message}`),
          ),
      );
      c.onLost(() => {
        if (conn === c) conn = undefined;
        log('run-change listener lost its connection; reconnecting');
        timer = setTimeout(() => void connect(250), 250);
      });
      await c.query(`LISTEN ${RUN_CHANGES_CHANNEL}`);
      if (closed) return void c.close();
      conn = c;
    } catch (err) {
      log(`run-change listener cannot connect: ${(err as Error).message}`);
      timer = setTimeout(() => void connect(Math.min(backoff * 2, 5000)), backoff);
    }
  }
  await connect(250);

  return {
    subscribe: local.subscribe,
    publish(change) {
      local.publish(change);
      const payload = JSON.stringify({ w: change.workflowName, u: change.userId, r: replica });
      db.query('SELECT pg_notify($1, $2)', [RUN_CHANGES_CHANNEL, payload]).catch((err: unknown) =>
        log(`run change not sent: ${(err as Error).message}`),
      );
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await conn?.close();
    },
  };
}
