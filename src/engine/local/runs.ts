/**
 * The engine's workflows: the running ones (ActiveRun) in front of the kept records, their followers (onUpdate,
 * watch), TTL deletion, and the calls that act on one workflow (stop, suspend, resume, delete, wait).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowCompletedError, WorkflowNotFoundError, WorkflowNotSuspendedError } from '../errors.ts';
import type { ResumeOptions, Workflow, WorkflowEvent } from '../types.ts';
import { deleteAfter } from './admission/submit-helpers.ts';
import { gcKeys } from './execution/artifact-gc.ts';
import type { ActiveRun } from './execution/run.ts';
import type { ArtifactStore } from './state/artifact-store.ts';
import type { WorkflowRecords } from './state/store.ts';
import { watchUpdates } from './state/watch.ts';

const STOP_MESSAGE = "Stopped with strategy 'Stop'";

export class LocalRuns {
  readonly active = new Map<string, ActiveRun>();
  private readonly listeners = new Set<(wf: Workflow) => void>();
  /** Followers of `watch`: every update as MODIFIED, and DELETED when a workflow is removed. */
  private readonly watchers = new Set<(event: WorkflowEvent) => void>();
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly records: WorkflowRecords,
    private readonly artifacts: ArtifactStore,
    private readonly dataDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Where a workflow's node folders and logs live. */
  wfDir(name: string): string {
    return path.join(this.dataDir, 'workflows', name);
  }

  private deliver<T>(to: Iterable<(arg: T) => void>, arg: T): void {
    for (const l of to) {
      try {
        l(arg);
      } catch (err) {
        this.log(`local engine: update listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** Hands a snapshot to every follower. */
  readonly notify = (wf: Workflow): void => {
    this.deliver(this.listeners, wf);
    this.deliver(this.watchers, { type: 'MODIFIED', workflow: wf });
  };

  onUpdate(listener: (wf: Workflow) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  watch(listener: (event: WorkflowEvent) => void): () => void {
    return watchUpdates(this.watchers, () => this.listAll(), listener, this.log);
  }

  async get(name: string): Promise<Workflow> {
    const run = this.active.get(name);
    if (run) return run.snapshot();
    const wf = await this.records.load(name);
    if (!wf) throw new WorkflowNotFoundError(name);
    return wf;
  }

  /** Every workflow the engine holds (running ones as they are now), without nodes. */
  private async listAll(): Promise<Workflow[]> {
    const stored = await this.records.summaries();
    return stored.map((wf) => this.active.get(wf.metadata.name!)?.snapshot() ?? wf);
  }

  async list(labels: Record<string, string>): Promise<Workflow[]> {
    const found = await this.records.list(labels);
    return found.map((wf) => this.active.get(wf.metadata.name!)?.snapshot() ?? wf);
  }

  /** Stops it if it runs, then deletes its records, folders and the artifacts its GC strategy names. */
  async remove(name: string): Promise<void> {
    const wf = await this.records.load(name);
    if (!wf) throw new WorkflowNotFoundError(name);
    const run = this.active.get(name);
    if (run) {
      run.stop(STOP_MESSAGE);
      await run.done;
    }
    clearTimeout(this.ttlTimers.get(name));
    this.ttlTimers.delete(name);
    await this.records.delete(name);
    this.deliver(this.watchers, { type: 'DELETED', workflow: run ? await run.done : wf });
    await rm(this.wfDir(name), { recursive: true, force: true });
    if (wf.spec.artifactGC?.strategy === 'OnWorkflowDeletion') await this.artifacts.deletePrefix(`${name}/`);
    for (const key of gcKeys(wf, 'OnWorkflowDeletion')) await this.artifacts.deletePrefix(key).catch(() => undefined);
  }

  private scheduleTtl(name: string, at: Date): void {
    const timer = setTimeout(
      () => {
        this.ttlTimers.delete(name);
        this.remove(name).catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) this.log(`local engine: TTL deletion of ${name} failed: ${(err as Error).message}`);
        });
      },
      Math.max(0, at.getTime() - Date.now()),
    );
    timer.unref();
    this.ttlTimers.set(name, timer);
  }

  /** Schedules the deletion of the finished workflows a previous process kept with a TTL. */
  async restoreTtls(): Promise<void> {
    for (const { name, deleteAfter: at } of await this.records.expiring()) this.scheduleTtl(name, at);
  }

  /** Follows a started run: at its end, artifact GC and TTL, then the final snapshot to the followers. */
  track(name: string, run: ActiveRun): void {
    this.active.set(name, run);
    void run.done.then(async (final) => {
      for (const key of gcKeys(final, 'OnWorkflowCompletion')) await this.artifacts.deletePrefix(key).catch(() => undefined);
      const at = deleteAfter(final);
      if (at) {
        await this.records
          .save(final, [], at)
          .catch((err: unknown) => this.log(`local engine: saving TTL of ${name} failed: ${(err as Error).message}`));
        this.scheduleTtl(name, at);
      }
      this.active.delete(name);
      this.notify(final);
    });
  }

  async stop(name: string): Promise<void> {
    const run = this.active.get(name);
    if (!run) {
      await this.get(name);
      return;
    }
    run.stop(STOP_MESSAGE, STOP_MESSAGE);
    await run.done;
  }

  async resume(name: string, options?: ResumeOptions): Promise<void> {
    const run = this.active.get(name);
    if (!run) {
      await this.get(name);
      throw new WorkflowNotSuspendedError(name);
    }
    if (!run.isSuspended) throw new WorkflowNotSuspendedError(name);
    run.resume(options?.parameters ?? {});
    await run.flush();
  }

  async suspend(name: string): Promise<void> {
    const run = this.active.get(name);
    if (!run) {
      await this.get(name);
      throw new WorkflowCompletedError(name);
    }
    run.suspend();
  }

  /** Resolves with the final Workflow. */
  async wait(name: string): Promise<Workflow> {
    const run = this.active.get(name);
    return run ? run.done : this.get(name);
  }

  /** Stops every running workflow as interrupted (Error) and waits for them; cancels the TTL timers. */
  async closeAll(): Promise<void> {
    const runs = [...this.active.values()];
    for (const run of runs) run.stop('Stopped: the local engine was closed', 'workflow interrupted: the local engine was closed', 'Error');
    await Promise.all(runs.map((r) => r.done));
    for (const t of this.ttlTimers.values()) clearTimeout(t);
  }
}
