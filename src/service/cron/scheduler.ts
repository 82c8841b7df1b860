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

interface SchedulerOptions {
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

function nextRunTime(cron: CronRow, after: Date): Date | undefined {
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

/** The controller's state: its clock, the time of each CronWorkflow's previous pass, its timer and lease. */
class CronController implements CronScheduler {
  readonly now: () => Date;
  private readonly deps: OperatorDeps;
  private readonly startedAt: Date;
  private readonly pollMs: number;
  /** Per CronWorkflow id: the time of the previous pass that looked at it. */
  private readonly checked = new Map<number, Date>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private running: Promise<void> = Promise.resolve();
  lease: Lease | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => new Date());
    this.deps = { db: options.db, engine: options.engine, now: this.now, log: options.log };
    this.startedAt = this.now();
    this.pollMs = options.pollMs ?? 30_000;
  }

  private async pass(): Promise<void> {
    const at = this.now();
    let crons: CronRow[] = [];
    try {
      crons = await listCrons(this.options.db);
      await this.runDue(crons, at);
    } catch (err) {
      this.options.log?.(`cron pass failed: ${(err as Error).message}`);
    }
    this.arm(crons, at);
  }

  /** The schedule time a pass at `at` runs for `cron`, if any. */
  private dueTime(cron: CronRow, at: Date): Date | undefined {
    const { spec } = cron.manifest;
    const previous = this.checked.get(cron.id);
    if (previous) return latestRunBetween(schedulesOf(spec), spec.timezone, previous, at);
    if (cron.createdAt >= this.startedAt) return latestRunBetween(schedulesOf(spec), spec.timezone, cron.createdAt, at);
    return missedRun(cron, at);
  }

  private async runDue(crons: CronRow[], at: Date): Promise<void> {
    const seen = new Set<number>();
    for (const cron of crons) {
      seen.add(cron.id);
      try {
        await reconcile(this.deps, cron);
        const due = this.dueTime(cron, at);
        this.checked.set(cron.id, at);
        if (due) await runScheduled(this.deps, cron, due);
      } catch (err) {
        this.options.log?.(`CronWorkflow ${cron.name}: ${(err as Error).message}`);
      }
    }
    for (const id of this.checked.keys()) if (!seen.has(id)) this.checked.delete(id);
  }

  private arm(crons: CronRow[], at: Date): void {
    if (this.closed || this.options.leaseKey === undefined) return;
    clearTimeout(this.timer);
    let wait = this.pollMs;
    for (const cron of crons) {
      const next = nextRunTime(cron, at);
      if (next) wait = Math.min(wait, Math.max(0, next.getTime() - this.now().getTime()));
    }
    this.timer = setTimeout(() => void this.tick(), wait + 5);
    this.timer.unref?.();
  }

  tick(): Promise<void> {
    const idle = () => this.closed || (this.lease && !this.lease.held) || this.options.active?.() === false;
    this.running = this.running.then(() => (idle() ? undefined : this.pass()));
    return this.running;
  }

  nextRunOf(cron: CronRow): Date | undefined {
    return nextRunTime(cron, this.now());
  }

  poke(): void {
    void this.tick();
  }

  stopTimer(): void {
    clearTimeout(this.timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running.catch(() => {});
    await this.lease?.close();
  }
}

export async function startCronScheduler(options: SchedulerOptions): Promise<CronScheduler> {
  const controller = new CronController(options);
  if (options.leaseKey !== undefined) {
    controller.lease = await startLease(options.db, {
      key: options.leaseKey,
      onAcquire: () => controller.poke(),
      onLose: () => controller.stopTimer(),
      log: options.log,
    });
  }
  return controller;
}
