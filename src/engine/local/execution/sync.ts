/**
 * `synchronization` (workflow/sync): mutexes and semaphores shared by every workflow of this engine. Lock names
 * as Argo encodes them (`ns/Mutex/name`, `ns/ConfigMap/name/key`, `ns/Database/key`); a semaphore's limit is
 * the ConfigMap value (any registered ConfigMap), a database semaphore's the `database-semaphores` ConfigMap's
 * key (Argo keeps it in a table); database mutexes and semaphores hold within this engine only. Waiters are
 * served by priority, then by creation time (prioritySemaphore).
 */
import type { Obj, RunContext } from './context.ts';

interface LockRef {
  name: string;
  /** Undefined: the limit could not be read (Argo: "Failed to get semaphore limit for …"). */
  limit: number | undefined;
}

interface Waiter {
  holder: string;
  priority: number;
  created: number;
  grant: () => void;
}

class Lock {
  readonly holders = new Set<string>();
  readonly waiting: Waiter[] = [];
  constructor(public limit: number) {}
}

/** The locks a `synchronization` block names; `limitOf(configMap, key)` reads a semaphore's limit. */
function lockRefs(sync: Obj | undefined, namespace: string, limitOf: (name: string, key: string) => string | undefined): LockRef[] {
  if (!sync) return [];
  const refs: LockRef[] = [];
  const mutexes = [...((sync.mutexes as Obj[] | undefined) ?? []), ...(sync.mutex ? [sync.mutex as Obj] : [])];
  for (const m of mutexes) {
    const ns = String(m.namespace ?? namespace);
    refs.push({ name: `${ns}/${m.database === true ? 'Database' : 'Mutex'}/${String(m.name)}`, limit: 1 });
  }
  const semaphores = [...((sync.semaphores as Obj[] | undefined) ?? []), ...(sync.semaphore ? [sync.semaphore as Obj] : [])];
  for (const s of semaphores) {
    const ns = String(s.namespace ?? namespace);
    const cm = s.configMapKeyRef as Obj | undefined;
    const db = s.database as Obj | undefined;
    const [name, raw] = cm
      ? [`${ns}/ConfigMap/${String(cm.name)}/${String(cm.key)}`, limitOf(String(cm.name), String(cm.key))]
      : [`${ns}/Database/${String(db?.key)}`, limitOf('database-semaphores', String(db?.key))];
    const n = raw === undefined ? NaN : Number(raw);
    refs.push({ name, limit: Number.isInteger(n) && n >= 0 ? n : undefined });
  }
  return refs.sort((a, b) => a.name.localeCompare(b.name));
}

export class LockManager {
  private readonly locks = new Map<string, Lock>();

  private lock(ref: LockRef & { limit: number }): Lock {
    let lock = this.locks.get(ref.name);
    if (!lock) this.locks.set(ref.name, (lock = new Lock(ref.limit)));
    lock.limit = ref.limit;
    return lock;
  }

  /** Argo's waiting message for a lock. */
  status(ref: LockRef & { limit: number }): string {
    const lock = this.lock(ref);
    return `Waiting for ${ref.name} lock. Lock status: ${Math.max(0, lock.limit - lock.holders.size)}/${lock.limit}`;
  }

  /**
   * Takes every lock (in name order, so two holders never wait on each other), calling `waiting` with the message
   * of the first one it waits for; resolves with the release function.
   */
  async acquire(
    refs: Array<LockRef & { limit: number }>,
    holder: string,
    order: { priority: number; created: number },
    waiting: (message: string) => void,
    signal?: AbortSignal,
  ): Promise<(() => void) | undefined> {
    const held: Lock[] = [];
    const release = () => {
      for (const lock of held.splice(0)) {
        lock.holders.delete(holder);
        this.serve(lock);
      }
    };
    for (const ref of refs) {
      const lock = this.lock(ref);
      if (lock.holders.size >= lock.limit || lock.waiting.length > 0) {
        waiting(this.status(ref));
        const granted = await new Promise<boolean>((resolve) => {
          const waiter: Waiter = { holder, ...order, grant: () => resolve(true) };
          signal?.addEventListener('abort', () => {
            const i = lock.waiting.indexOf(waiter);
            if (i >= 0) lock.waiting.splice(i, 1);
            resolve(false);
          });
          lock.waiting.push(waiter);
          lock.waiting.sort((a, b) => b.priority - a.priority || a.created - b.created);
          this.serve(lock);
        });
        if (!granted || signal?.aborted) {
          if (granted) held.push(lock);
          release();
          return undefined;
        }
      } else lock.holders.add(holder);
      held.push(lock);
    }
    return release;
  }

  private serve(lock: Lock): void {
    while (lock.holders.size < lock.limit && lock.waiting.length > 0) {
      const next = lock.waiting.shift()!;
      lock.holders.add(next.holder);
      next.grant();
    }
  }
}

/**
 * Takes the locks of a `synchronization` block for `holder` (a workflow or node name), reporting Argo's waiting
 * message through `waiting`; a semaphore without a readable limit is an error, as in Argo.
 */
export async function holdLocks(
  ctx: RunContext,
  sync: Obj | undefined,
  holder: string,
  waiting: (message: string) => void,
): Promise<{ release: () => void } | { error: string }> {
  const refs = lockRefs(sync, ctx.wf.metadata.namespace ?? 'default', (name, key) => ctx.lockLimit(name, key));
  if (refs.length === 0) return { release: () => undefined };
  const missing = refs.find((r) => r.limit === undefined);
  if (missing) return { error: `Failed to get semaphore limit for ${missing.name}` };
  const order = {
    priority: Number(ctx.wf.spec.priority ?? 0) || 0,
    created: Date.parse(ctx.wf.metadata.creationTimestamp ?? '') || Date.now(),
  };
  // A stop ends the wait (the stop switch kills what `running` holds).
  const abort = new AbortController();
  const killable = { kill: () => abort.abort() };
  ctx.running.add(killable);
  try {
    const release = await ctx.locks.acquire(refs as Array<LockRef & { limit: number }>, holder, order, waiting, abort.signal);
    return release ? { release } : { error: 'stopped while waiting for a lock' };
  } finally {
    ctx.running.delete(killable);
  }
}
