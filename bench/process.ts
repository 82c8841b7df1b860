/**
 * Child processes of the benchmark: started with a readiness line to wait
 * for, stopped with SIGTERM (SIGKILL if they linger), their RSS read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { BenchSetupError } from './errors.ts';

export interface BenchProcess {
  pid: number;
  /** The first match of the readiness pattern (e.g. the listening URL). */
  ready: string;
  /** Resident set size now, in bytes. */
  rssBytes(): Promise<number>;
  /** The last lines the process wrote to stderr (for error reports). */
  stderrTail(): string;
  stop(): Promise<void>;
}

interface StartProcessOptions {
  /** Names the process in errors. */
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Printed on stdout or stderr once the process can take work; group 1 is returned as `ready`. */
  readyPattern: RegExp;
  timeoutMs?: number;
}

/** Reads VmRSS of a process from /proc. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a process and resolves once it printed its readiness line. */
export async function startProcess(options: StartProcessOptions): Promise<BenchProcess> {
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let seen = '';
  let watching = true;
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new BenchSetupError(options.label, `not ready after ${options.timeoutMs ?? 60_000} ms:\n${tail}`)),
      options.timeoutMs ?? 60_000,
    );
    const watch = (chunk: Buffer, keep: boolean) => {
      // The service's access log keeps arriving on stdout: drained, not decoded, once ready.
      if (!keep && !watching) return;
      const text = chunk.toString();
      if (keep) tail = (tail + text).slice(-4000);
      // Only look for readiness until it is found: a chatty logger must not grow this buffer.
      if (!watching) return;
      seen = (seen + text).slice(-4000);
      const match = options.readyPattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        watching = false;
        seen = '';
        resolve(match[1] ?? match[0]);
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => watch(chunk, false));
    child.stderr!.on('data', (chunk: Buffer) => watch(chunk, true));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new BenchSetupError(options.label, `could not start ${options.command}: ${err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new BenchSetupError(options.label, `exited (${signal ?? code}) before it was ready:\n${tail}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(killer);
  };
  try {
    const readyText = await ready;
    return { pid: child.pid!, ready: readyText, rssBytes: () => rssOf(child.pid!), stderrTail: () => tail, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
