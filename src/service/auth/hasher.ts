import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism, setPriority } from 'node:os';

/**
 * The hasher runs under SCHED_IDLE (through util-linux `chrt --idle 0`, which execs
 * node, so the IPC channel and the pid stay the same) where `chrt` exists, and at
 * nice 19 as well. Nice 19 alone is not enough on Linux's EEVDF scheduler: a nice-19
 * thread that wakes with lag can take the CPU from the service for a whole tick
 * (4 ms at HZ=250) while the service is runnable; the benchmark traced those waits
 * with `perf sched`. A SCHED_IDLE thread is preempted as soon as any normal thread
 * wants its CPU. It still gets every CPU cycle the service's own cgroup leaves idle,
 * and an operation that waits longer than OPERATION_TIMEOUT_MS answers 503.
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
interface Pending {
  resolve(value: string | boolean): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** The process working on it (set when sent). */
  by: ChildProcess | undefined;
  operation: Operation;
}
const pending = new Map<number, Pending>();

/** Fails the operations sent to one hasher process (a replacement may already be taking new ones). */
function failAll(by: ChildProcess, error: Error): void {
  for (const [id, p] of pending) {
    if (p.by !== by) continue;
    clearTimeout(p.timer);
    p.reject(error);
    pending.delete(id);
  }
}

/** The first executable `chrt` on PATH, or undefined. */
function findChrt(): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'chrt');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Argon2 threads of the hasher: every core but one, so a login flood never takes
 * all of the machine's cores from request handling (one hash at a time on 2 cores).
 */
export const HASHER_THREADS = Math.max(1, availableParallelism() - 1);

/** How the hasher process is started: through `chrt --idle 0` when `chrt` is given, else node directly. */
export function hasherCommand(chrt: string | undefined): { command: string; args: string[] } {
  // The helper is plain JavaScript: no loader flags of the parent (tsx) are needed.
  return chrt ? { command: chrt, args: ['--idle', '0', process.execPath, SCRIPT] } : { command: process.execPath, args: [SCRIPT] };
}

// Set to undefined after a start through chrt failed: later starts run node directly.
let chrtPath: string | undefined = findChrt();

function hasher(): ChildProcess {
  if (child && child.connected) return child;
  const { command, args } = hasherCommand(chrtPath);
  const viaChrt = chrtPath !== undefined;
  const started = spawn(command, args, {
    env: { ...process.env, UV_THREADPOOL_SIZE: String(HASHER_THREADS) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  let answered = false;
  try {
    if (started.pid !== undefined) setPriority(started.pid, HASHER_NICE);
  } catch {
    // Not allowed to lower it here: it still works, only at normal priority.
  }
  started.on('message', (reply: Reply) => {
    answered = true;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.error !== undefined) p.reject(new Error(reply.error));
    else p.resolve(reply.result as string | boolean);
  });
  started.on('exit', (code) => {
    if (child === started) child = undefined;
    if (viaChrt && !answered && code !== 0 && code !== null) {
      // chrt could not start it (e.g. SCHED_IDLE refused by a seccomp policy): run node
      // directly from now on, and hand what it was given to that process.
      chrtPath = undefined;
      for (const [id, p] of pending) if (p.by === started) send(id, p);
      return;
    }
    failAll(started, new HasherUnavailableError('the password hasher process exited'));
  });
  started.on('error', (error) =>
    failAll(started, new HasherUnavailableError(`the password hasher failed: ${error.message}`, { cause: error })),
  );
  // The service must be able to exit while the hasher idles; it exits itself when the channel closes.
  started.unref();
  started.channel?.unref();
  child = started;
  return started;
}

/** Sends a pending operation to the current hasher process (started if needed). */
function send(id: number, p: Pending): void {
  const target = hasher();
  p.by = target;
  target.send({ id, ...p.operation });
}

/** Runs one argon2 operation in the low-priority hasher process (started on first use, restarted if it died). */
export function runInHasher(operation: Operation): Promise<string | boolean> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new HasherUnavailableError(`the password hasher did not answer within ${OPERATION_TIMEOUT_MS} ms`));
    }, OPERATION_TIMEOUT_MS);
    const p: Pending = { resolve, reject, timer, by: undefined, operation };
    pending.set(id, p);
    send(id, p);
  });
}

/** The hasher's process id while it runs (operations and tests look at it). */
export function hasherProcessId(): number | undefined {
  return child?.connected ? child.pid : undefined;
}
