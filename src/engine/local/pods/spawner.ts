/** The engine side of `spawner-process.mjs`: spawns pod processes through the small launcher process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const SCRIPT = fileURLToPath(new URL('./spawner-process.mjs', import.meta.url));

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd: string;
  /** The process's whole environment. */
  env: Record<string, string>;
  /** Bytes of stdout+stderr written to the log; then `logMarker` once and the rest dropped. */
  logLimit?: number;
  logMarker?: string;
  /** stdout and stderr are appended here. */
  log: string;
  /** Keep the last 256 KiB of stdout as the result. */
  capture: boolean;
  /**
   * The command starts with pods/network.ts's egress gate: give it a network with `blocked` ranges unreachable,
   * by the network programs at `tools` (absolute paths).
   */
  egress?: { blocked: string[]; tools: { slirp4netns: string; nsenter: string; ip: string } };
  /**
   * The command runs bubblewrap with `--info-fd` on this descriptor: a kill waits until bubblewrap has named its
   * sandbox's first process and kills that one too (spawner-process.mjs), so no sandbox outlives a kill.
   */
  infoFd?: number;
}

export interface SpawnOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
  result?: string;
  /** The log cap was reached. */
  logTruncated?: boolean;
}

export interface RunningProcess {
  /** Resolves when the process has started (or failed to). */
  started: Promise<void>;
  done: Promise<SpawnOutcome>;
  kill(signal: NodeJS.Signals): void;
}

type Pending = { onSpawn: () => void; onExit: (o: SpawnOutcome) => void };

export class Spawner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null) return this.child;
    const child = spawn(process.execPath, [SCRIPT], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; event: 'spawn' | 'exit' } & SpawnOutcome;
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.event === 'spawn') p.onSpawn();
      else {
        this.pending.delete(msg.id);
        p.onSpawn();
        p.onExit({ code: msg.code, signal: msg.signal, error: msg.error, result: msg.result, logTruncated: msg.logTruncated });
      }
    });
    child.on('exit', () => {
      // The launcher died: its processes were killed with it; report them as killed.
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.onSpawn();
        p.onExit({ code: null, signal: 'SIGKILL', error: 'the process launcher exited' });
      }
    });
    this.child = child;
    return child;
  }

  /** Starts a process in its own process group. */
  spawn(req: SpawnRequest): RunningProcess {
    const child = this.ensure();
    const id = this.nextId++;
    let onSpawn!: () => void;
    let onExit!: (o: SpawnOutcome) => void;
    const started = new Promise<void>((r) => (onSpawn = r));
    const done = new Promise<SpawnOutcome>((r) => (onExit = r));
    this.pending.set(id, { onSpawn, onExit });
    child.stdin!.write(`${JSON.stringify({ op: 'spawn', id, ...req })}\n`);
    return {
      started,
      done,
      kill: (signal) => {
        if (this.pending.has(id)) child.stdin!.write(`${JSON.stringify({ op: 'kill', id, signal })}\n`);
      },
    };
  }

  /** Ends the launcher (killing whatever still runs) and waits for it. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin!.end();
    });
  }
}
