import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setPriority } from 'node:os';

/**
 * Lowest nice value: the hasher yields to request handling but still progresses on a
 * saturated machine (SCHED_IDLE would starve logins under sustained load).
 */
const HASHER_NICE = 19;
const SCRIPT = fileURLToPath(new URL('./hasher-process.mjs', import.meta.url));
const OPERATION_TIMEOUT_MS = 30_000;

/** The hasher process could not be started or did not answer: logins answer 503, not "wrong password". */
export class HasherUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HasherUnavailableError';
  }
}

type Operation = { op: 'hash'; password: string; options: Record<string, number> } | { op: 'verify'; hash: string; password: string };
type Reply = { id: number; result?: string | boolean; error?: string };

let child: ChildProcess | undefined;
let nextId = 1;
const pending = new Map<number, { resolve(value: string | boolean): void; reject(error: Error): void; timer: NodeJS.Timeout; by: ChildProcess }>();

/** Fails the operations sent to one hasher process (a replacement may already be taking new ones). */
function failAll(by: ChildProcess, error: Error): void {
  for (const [id, p] of pending) {
    if (p.by !== by) continue;
    clearTimeout(p.timer);
    p.reject(error);
    pending.delete(id);
  }
}

function hasher(): ChildProcess {
  if (child && child.connected) return child;
  // The helper is plain JavaScript: no loader flags of the parent (tsx) are needed.
  const started = spawn(process.execPath, [SCRIPT], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  try {
    if (started.pid !== undefined) setPriority(started.pid, HASHER_NICE);
  } catch {
    // Not allowed to lower it here: it still works, only at normal priority.
  }
  started.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.error !== undefined) p.reject(new Error(reply.error));
    else p.resolve(reply.result as string | boolean);
  });
  started.on('exit', () => {
    if (child === started) child = undefined;
    failAll(started, new HasherUnavailableError('the password hasher process exited'));
  });
  started.on('error', (error) => failAll(started, new HasherUnavailableError(`the password hasher failed: ${error.message}`, { cause: error })));
  // The service must be able to exit while the hasher idles; it exits itself when the channel closes.
  started.unref();
  started.channel?.unref();
  child = started;
  return started;
}

/** Runs one argon2 operation in the low-priority hasher process (started on first use, restarted if it died). */
export function runInHasher(operation: Operation): Promise<string | boolean> {
  const process = hasher();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new HasherUnavailableError(`the password hasher did not answer within ${OPERATION_TIMEOUT_MS} ms`));
    }, OPERATION_TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer, by: process });
    process.send({ id, ...operation });
  });
}

/** The hasher's process id while it runs (operations and tests look at it). */
export function hasherProcessId(): number | undefined {
  return child?.connected ? child.pid : undefined;
}
