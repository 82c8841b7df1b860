/**
 * The service's cron controller: one timer, armed for the earliest next run of any CronWorkflow (and at
 * least every `pollMs`, to see CronWorkflows another replica created and runs that ended). With several
 * replicas on one PostgreSQL only the lease holder schedules (an advisory-lock lease, as for following Argo).
 *
 * A schedule time is run when the controller sees it pass: at each tick, the latest schedule time since the
 * previous tick. CronWorkflows that existed before this controller started get Argo's missed-run rule once
 * (shouldOutstandingWorkflowsBeRun): the latest schedule time after `lastScheduledTime` runs if it is within
 * `startingDeadlineSeconds` of now; without a deadline, missed runs are skipped.
 */
import type { Db } from '../../db/types.ts';
import { startLease, type Lease } from '../lease.ts';
import { schedulesOf } from './manifest.ts';
import { latestRunBetween, nextRun } from './schedule.ts';
import { listCrons, type CronRow } from './repository.ts';
import { reconcile, runScheduled, type CronEngine, type OperatorDeps } from './operator.ts';

export interface CronScheduler {
  /** One controller pass at the clock's now (tests call it with a fixed clock). */
  tick(): Promise<void>;
  /** The next run time of a CronWorkflow after now, or undefined (suspended, stopped). */
  nextRunOf(cron: CronRow): Date | undefined;
  /** The controller's clock (creation times are read from it, so they compare with schedule times). */
  now(): Date;
  /** Re-arms the timer now (a CronWorkflow was created, resumed or deleted). */
  poke(): void;
  close(): Promise<void>;
}

export interface SchedulerOptions {
  db: Db;
  engine: CronEngine;
  now?: () => Date;
  /** Longest wait between passes; default 30 s. */
  pollMs?: number;
  /** The advisory lock key of the lease; undefined: no timer (tests drive tick()). */
  leaseKey?: number;
  log?: (message: string) => void;
  /** Schedules only while this says yes (the replica whose local engine runs the workflows). */
  active?: () => boolean;
}

export function nextRunTime(cron: CronRow, after: Date): Date | undefined {
  if (cron.suspended || cron.phase === 'Stopped') return undefined;
  return nextRun(schedulesOf(cron.manifest.spec), cron.manifest.spec.timezone, after);
}

/** Argo's missed-run rule for a CronWorkflow seen for the first time since a restart. */
function missedRun(cron: CronRow, now: Date): Date | undefined {
  const spec = cron.manifest.spec;
  if (!cron.lastScheduledTime || spec.startingDeadlineSeconds === undefined) return undefined;
  const missed = latestRunBetween(schedulesOf(spec), spec.timezone, cron.lastScheduledTime, new Date(now.getTime() - 1));
  if (!missed) return undefined;
  return now.getTime() < missed.getTime() + spec.startingDeadlineSeconds * 1000 ? missed : undefined;
}

// Longer than 60 lines: the controller's state (clock, per-CronWorkflow pass times, timer, lease) is shared by the
// small functions inside it.
export async function startCronScheduler(options: SchedulerOptions): Promise<CronScheduler> {
  const now = options.now ?? (() => new Date());
  const deps: OperatorDeps = { db: options.db, engine: options.engine, now, log: options.log };
  const startedAt = now();
  const pollMs = options.pollMs ?? 30_000;
  /** Per CronWorkflow id: the time of the previous pass that looked at it. */
  const checked = new Map<number, Date>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  let lease: Lease | undefined;

  async function pass(): Promise<void> {
    const at = now();
    let crons: CronRow[] = [];
    try {
      crons = await listCrons(options.db);
      await runDue(crons, at);
    } catch (err) {
      options.log?.(`cron pass failed: ${(err as Error).message}`);
    }
    arm(crons, at);
  }

  async function runDue(crons: CronRow[], at: Date): Promise<void> {
    const seen = new Set<number>();
    for (const cron of crons) {
      seen.add(cron.id);
      try {
        await reconcile(deps, cron);
        const previous = checked.get(cron.id);
        let due: Date | undefined;
        if (previous) due = latestRunBetween(schedulesOf(cron.manifest.spec), cron.manifest.spec.timezone, previous, at);
        else if (cron.createdAt >= startedAt)
          due = latestRunBetween(schedulesOf(cron.manifest.spec), cron.manifest.spec.timezone, cron.createdAt, at);
        else due = missedRun(cron, at);
        checked.set(cron.id, at);
        if (due) await runScheduled(deps, cron, due);
      } catch (err) {
        options.log?.(`CronWorkflow ${cron.name}: ${(err as Error).message}`);
      }
    }
    for (const id of checked.keys()) if (!seen.has(id)) checked.delete(id);
  }

  function arm(crons: CronRow[], at: Date): void {
    if (closed || options.leaseKey === undefined) return;
    clearTimeout(timer);
    let wait = pollMs;
    for (const cron of crons) {
      const next = nextRunTime(cron, at);
      if (next) wait = Math.min(wait, Math.max(0, next.getTime() - now().getTime()));
    }
    timer = setTimeout(() => void tick(), wait + 5);
    timer.unref?.();
  }

  function tick(): Promise<void> {
    running = running.then(() => (closed || (lease && !lease.held) || options.active?.() === false ? undefined : pass()));
    return running;
  }

  if (options.leaseKey !== undefined) {
    lease = await startLease(options.db, {
      key: options.leaseKey,
      onAcquire: () => void tick(),
      onLose: () => clearTimeout(timer),
      log: options.log,
    });
  }
  return {
    tick,
    nextRunOf: (cron) => nextRunTime(cron, now()),
    now,
    poke: () => void tick(),
    async close() {
      closed = true;
      clearTimeout(timer);
      await running.catch(() => {});
      await lease?.close();
    },
  };
}
