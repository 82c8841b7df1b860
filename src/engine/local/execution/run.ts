/** One workflow running in this process: its context, the stop switch, batched persistence and final status. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus, Workflow, WorkflowPhase } from '../../types.ts';
import type { ArtifactStore } from '../state/artifact-store.ts';
import { now, type Obj, type RunContext, type Template } from './context.ts';
import type { MemoStore } from '../state/memo.ts';
import type { WorkflowMetrics } from './metrics.ts';
import { updateProgress } from '../state/progress.ts';
import type { SandboxStrategy } from '../pods/sandbox.ts';
import { Semaphore, type FairSemaphore } from './semaphore.ts';
import type { Spawner } from '../pods/spawner.ts';
import type { StepLimits } from '../pods/limits.ts';
import type { PodHost } from '../pods/host.ts';
import type { ArtifactScope } from '../admission/artifact-scope.ts';
import { mapLookup, substituteObject } from '../expressions/substitute.ts';
import { executeTemplate } from './template.ts';
import { resumeSuspended } from './suspend.ts';
import { holdLocks, type LockManager } from './sync.ts';
import { exitHookOf, expressionHooks, hookHolds, runHook, workflowFailures } from './hooks.ts';
import { endDaemons } from './daemons.ts';
import { closePodNetwork } from '../pods/pod-network.ts';
import { entrypointArguments, finalStatus, globalsOf, rootPhase, RUNTIME_GLOBALS } from './globals.ts';

const FLUSH_DELAY_MS = 250;

export interface RunDeps {
  dataDir: string;
  store: ArtifactStore;
  sandbox: SandboxStrategy;
  processSlots: FairSemaphore;
  spawner: Spawner;
  /** Per-step limits and network (pods/limits.ts). */
  limits: StepLimits;
  /** Steps marked `ogdc.dataone.org/network: egress` use the host's network (OGDC_ALLOW_PRIVATE_SOURCES). */
  fetchHostNetwork: boolean;
  /** `http` templates may call loopback/private hosts. */
  allowPrivateHttp: boolean;
  /** Keys a confined (service-submitted) workflow may read and write; undefined: any key in the store. */
  artifactScope: ArtifactScope | undefined;
  /** Cgroups and network the machine offers pods. */
  host: PodHost;
  log(msg: string): void;
  locks: LockManager;
  memo: MemoStore;
  metrics: WorkflowMetrics;
  /** A key of a registered ConfigMap (namespace, name, key). */
  configMapValue(namespace: string, name: string, key: string): string | undefined;
  /** Persists the workflow status and changed nodes. */
  persist(wf: Workflow, nodes: NodeStatus[]): Promise<void>;
  /** Called with a snapshot on phase changes and after each batched save. */
  notify(wf: Workflow): void;
}

export class ActiveRun {
  readonly ctx: RunContext;
  readonly done: Promise<Workflow>;
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private deadline: NodeJS.Timeout | undefined;
  private forcedPhase: WorkflowPhase | undefined;
  private endRealtimeMetrics: (() => void) | undefined;
  private exitNode: NodeStatus | undefined;
  /** Set while `spec.suspend` holds the workflow. */
  private hold: { promise: Promise<void>; release: () => void } | undefined;

  constructor(
    readonly wf: Workflow,
    private readonly deps: RunDeps,
  ) {
    const name = wf.metadata.name!;
    const globals = globalsOf(wf);
    // Global variables go into the spec once, at start, as Argo does; those that change while it runs are
    // substituted when a template runs (an exit handler sees the final workflow.status).
    const startGlobals = { ...globals };
    for (const k of RUNTIME_GLOBALS) delete startGlobals[k];
    const spec = substituteObject(wf.spec, mapLookup(startGlobals));
    wf.status = { phase: 'Running', startedAt: now(), progress: '0/0', nodes: {} };
    this.ctx = {
      name,
      wf,
      nodes: wf.status.nodes!,
      spec,
      templates: new Map(((spec.templates as Template[] | undefined) ?? []).map((t) => [t.name, t])),
      globals,
      globalArtifacts: new Map(),
      wfDir: path.join(deps.dataDir, 'workflows', name),
      dataDir: deps.dataDir,
      store: deps.store,
      sandbox: deps.sandbox,
      processSlots: deps.processSlots,
      podSlots: new Semaphore(Number(spec.parallelism ?? 0) || undefined),
      running: new Set(),
      suspended: new Map(),
      locks: deps.locks,
      memo: deps.memo,
      metrics: deps.metrics,
      lockLimit: (cm, key) => deps.configMapValue(wf.metadata.namespace ?? 'default', cm, key),
      held: () => this.hold?.promise ?? Promise.resolve(),
      spawner: deps.spawner,
      limits: deps.limits,
      fetchHostNetwork: deps.fetchHostNetwork,
      allowPrivateHttp: deps.allowPrivateHttp,
      artifactScope: deps.artifactScope,
      host: deps.host,
      touch: (node) => this.touch(node),
      log: deps.log,
    };
    if (wf.spec.suspend === true) this.suspend();
    this.done = this.run();
  }

  /** `spec.suspend: true`: running pods go on, no new node starts until resume (util.go:SuspendWorkflow). */
  suspend(): void {
    if (this.hold) return;
    let release = () => undefined as void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.hold = { promise, release };
    this.wf.spec.suspend = true;
    this.deps.notify(this.snapshot());
  }

  /** Whether `spec.suspend` holds it or a Suspend node waits. */
  get isSuspended(): boolean {
    return this.hold !== undefined || this.ctx.suspended.size > 0;
  }

  /**
   * Clears `spec.suspend` and ends every waiting Suspend node as Succeeded with `values` for its supplied outputs
   * (util.go:ResumeWorkflow). Throws (nothing changed) when an output cannot be set.
   */
  resume(values: Record<string, string>): void {
    resumeSuspended(this.ctx, values);
    this.release();
  }

  private release(): void {
    const hold = this.hold;
    this.hold = undefined;
    delete this.wf.spec.suspend;
    hold?.release();
  }

  private touch(node: NodeStatus): void {
    this.dirty.add(node.id);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  /** Saves the changed nodes; saves are chained so they never overlap. */
  flush(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    const nodes = ids
      .map((id) => this.ctx.nodes[id])
      .filter((n): n is NodeStatus => n !== undefined)
      .map((n) => structuredClone(n));
    this.wf.status!.progress = updateProgress(this.ctx.nodes);
    const snapshot = this.snapshot();
    this.flushing = this.flushing
      .then(() => this.deps.persist(snapshot, nodes))
      .catch((err: unknown) => this.deps.log(`local engine: saving workflow ${this.ctx.name} failed: ${(err as Error).message}`));
    this.deps.notify(snapshot);
    return this.flushing;
  }

  /** A deep copy of the workflow as Argo would report it now. */
  snapshot(): Workflow {
    this.wf.status!.progress = updateProgress(this.ctx.nodes);
    return structuredClone(this.wf);
  }

  /** Kills running pods and creates no new nodes; the workflow ends Failed (or `phase`) with `workflowMessage`. */
  stop(nodeMessage: string, workflowMessage?: string, phase?: WorkflowPhase): void {
    if (this.ctx.stopped) return;
    this.ctx.stopped = { nodeMessage, workflowMessage };
    this.forcedPhase = phase;
    for (const pod of [...this.ctx.running]) pod.kill(nodeMessage);
    this.release();
  }

  private async run(): Promise<Workflow> {
    const spec = this.ctx.spec;
    const deadline = Number(spec.activeDeadlineSeconds ?? 0);
    if (deadline > 0) this.deadline = setTimeout(() => this.stop('Step exceeded its deadline'), deadline * 1000);
    this.deps.notify(this.snapshot());
    this.endRealtimeMetrics = this.ctx.metrics.startRealtime(spec.metrics, this.ctx.globals, `workflow ${this.ctx.name}`, (m) =>
      this.deps.log(m),
    );
    let root: NodeStatus | undefined;
    let releaseLocks: (() => void) | undefined;
    try {
      releaseLocks = await this.workflowLocks(spec);
      if (!releaseLocks) return await this.finish(undefined);
      root = await this.runRoot(spec);
    } catch (err) {
      this.deps.log(`local engine: workflow ${this.ctx.name} crashed: ${(err as Error).stack ?? String(err)}`);
      this.wf.status!.message = `local engine error: ${(err as Error).message}`;
      this.forcedPhase = 'Error';
    } finally {
      if (this.deadline) clearTimeout(this.deadline);
      releaseLocks?.();
      // Daemons still running end with the workflow (killDaemonedChildren("")), then the pods' network.
      await endDaemons(this.ctx);
      await closePodNetwork(this.ctx);
    }
    return this.finish(root);
  }

  /** Workflow-level synchronization: Pending with the waiting message until held; undefined when it cannot be. */
  private async workflowLocks(spec: Obj): Promise<(() => void) | undefined> {
    const held = await holdLocks(this.ctx, spec.synchronization as Obj | undefined, this.ctx.name, (message) => {
      this.wf.status!.phase = 'Pending';
      this.wf.status!.message = message;
      this.deps.notify(this.snapshot());
    });
    if ('error' in held) {
      if (!this.ctx.stopped) {
        this.wf.status!.message = held.error;
        this.forcedPhase = 'Error';
      }
      return undefined;
    }
    if (this.wf.status!.phase === 'Pending') {
      this.wf.status!.phase = 'Running';
      delete this.wf.status!.message;
    }
    return held.release;
  }

  /** The entrypoint with the workflow's arguments, its workflow-level hooks, then the exit handler. */
  private async runRoot(spec: Obj): Promise<NodeStatus | undefined> {
    const wfHooks = expressionHooks(spec);
    const hooksRun = new Set<string>();
    const hookRuns: Array<Promise<void>> = [];
    let rootId: string | undefined;
    const root = await executeTemplate(this.ctx, {
      nodeName: this.ctx.name,
      templateName: String(spec.entrypoint),
      arguments: entrypointArguments(spec),
      captureResult: false,
      link: (id) => {
        rootId = id;
        if (wfHooks.length > 0) hookRuns.push(this.workflowHooks(spec, id, hooksRun));
      },
    });
    await Promise.all(hookRuns);
    if (root) {
      this.ctx.globals['workflow.status'] = rootPhase(root);
      if (rootId && wfHooks.length > 0) await this.workflowHooks(spec, rootId, hooksRun);
      await this.exitHandler(spec, root);
    }
    return root;
  }

  /** Workflow-level hooks whose expression holds now (hooks.go:executeWfLifeCycleHook). */
  private async workflowHooks(spec: Obj, rootId: string, started: Set<string>): Promise<void> {
    const runs: Array<Promise<unknown>> = [];
    for (const [hookName, hook] of expressionHooks(spec)) {
      if (started.has(hookName) || !hookHolds(hook.expression, this.ctx.globals)) continue;
      started.add(hookName);
      runs.push(runHook(this.ctx, hook, `${this.ctx.name}.hooks.${hookName}`, { parentId: rootId, lookup: mapLookup(this.ctx.globals) }));
    }
    await Promise.all(runs);
  }

  /** `spec.onExit` / `spec.hooks.exit` as node `<wf>.onExit` once the root is done; it runs after a Stop too. */
  private async exitHandler(spec: Obj, root: NodeStatus): Promise<void> {
    const hook = exitHookOf(spec);
    if (!hook || this.forcedPhase === 'Error') return;
    const g = this.ctx.globals;
    g['workflow.failures'] = workflowFailures(this.ctx);
    g['workflow.duration'] = ((Date.now() - Date.parse(this.wf.status!.startedAt!)) / 1000).toFixed(6);
    const stopped = this.ctx.stopped;
    this.ctx.stopped = undefined;
    try {
      this.exitNode = await runHook(this.ctx, hook, `${this.ctx.name}.onExit`, { lookup: mapLookup(g) });
    } finally {
      this.ctx.stopped = stopped;
    }
    void root;
  }

  /** The workflow's own metrics (`spec.metrics`), once its phase is known (operator.go: computeMetrics on completion). */
  private recordMetrics(phase: WorkflowPhase): void {
    this.endRealtimeMetrics?.();
    const startedAt = Date.parse(this.wf.status!.startedAt ?? '');
    const vars = {
      ...this.ctx.globals,
      'workflow.status': phase,
      'workflow.duration': String(Number.isNaN(startedAt) ? 0 : (Date.now() - startedAt) / 1000),
    };
    this.ctx.metrics.emit(this.ctx.spec.metrics, vars, `workflow ${this.ctx.name}`, (m) => this.deps.log(m));
  }

  private async finish(root: NodeStatus | undefined): Promise<Workflow> {
    const phase = finalStatus(this.ctx, root, this.forcedPhase, this.exitNode);
    this.recordMetrics(phase);
    // Argo deletes volumeClaimTemplates PVCs when the workflow completes.
    await rm(path.join(this.ctx.wfDir, 'volumes'), { recursive: true, force: true }).catch(() => undefined);
    for (const id of Object.keys(this.ctx.nodes)) this.dirty.add(id);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flush();
    return this.snapshot();
  }
}
