/** The local workflow engine: runs Argo Workflow manifests on this machine (DESIGN §6). */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../db/types.ts';
import { ManifestRejectedError, WorkflowCompletedError, WorkflowNotFoundError, WorkflowNotSuspendedError } from '../errors.ts';
import type { Engine, LogLine, LogOptions, ResumeOptions, SubmitOptions, Workflow, WorkflowEvent } from '../types.ts';
import { ArtifactStore } from './state/artifact-store.ts';
import { gcKeys } from './execution/artifact-gc.ts';
import { now, type Obj } from './execution/context.ts';
import { MemoStore } from './state/memo.ts';
import { WorkflowMetrics } from './execution/metrics.ts';
import type { Registry } from 'prom-client';
import { workflowMetricsRegistry } from '../metrics.ts';
import { SandboxUnavailableError } from './errors.ts';
import { streamLogs } from './pods/logs.ts';
import { generateWorkflowName } from './state/names.ts';
import { ActiveRun } from './execution/run.ts';
import { removeTree, RootPool } from './pods/sandbox-roots.ts';
import { bubblewrap, hostProcesses, type SandboxStrategy } from './pods/sandbox.ts';
import { bwrapProblem } from './pods/sandbox-paths.ts';
import { DEFAULT_LIMITS, type StepLimits } from './pods/limits.ts';
import { FairSemaphore } from './execution/semaphore.ts';
import { Cgroups } from './pods/cgroups.ts';
import type { PodHost } from './pods/host.ts';
import { networkTools, SLIRP_DNS } from './pods/network.ts';
import { Spawner } from './pods/spawner.ts';
import { WorkflowStore } from './state/store.ts';
import type { ManifestDoc } from './admission/manifest-file.ts';
import { checkLocalSubset } from './admission/subset.ts';
import { checkAdmission, checkArtifactKeys } from './admission/pod-security.ts';
import { artifactScopeOf, type ArtifactScope } from './admission/artifact-scope.ts';
import { TemplateRegistry } from './execution/templates.ts';
import { ConfigMapStore } from './state/configmaps.ts';
import { LockManager } from './execution/sync.ts';
import { checkSuppliedInputs, checkVariables } from './admission/variables.ts';
import { applyLabelsFrom, applyParameters, deleteAfter, parseLabelSelector, schemaProblems } from './admission/submit-helpers.ts';
import { claimFolderIn } from './state/volumes.ts';
import { watchUpdates } from './state/watch.ts';

export interface LocalEngineOptions {
  /** A migrated database (migration 003 holds the engine's tables). */
  db: Db;
  /** Volumes, artifacts, node folders and logs live here. */
  dataDir: string;
  /** Processes running at once across all workflows; default: the number of cores. */
  maxProcesses?: number;
  /** `auto`: bubblewrap when it works here, else path rewriting (with one warning). */
  sandbox?: 'auto' | 'bwrap' | 'none';
  /** Per-step limits and network (pods/limits.ts); unset ones take their defaults. */
  limits?: Partial<StepLimits>;
  /**
   * Steps annotated `ogdc.dataone.org/network: egress` (the translated fetch step) use the host's network; the
   * service sets it with OGDC_ALLOW_PRIVATE_SOURCES=true.
   */
  fetchHostNetwork?: boolean;
  /**
   * `http` templates may call loopback/private/link-local hosts (default false); the service sets it with
   * OGDC_ALLOW_PRIVATE_SOURCES=true, `run-workflow` always.
   */
  allowPrivateHttp?: boolean;
  /** Namespace given to workflows that name none. */
  namespace?: string;
  /** PATH the start-up check searches for the network tools (slirp4netns, unshare, nsenter, ip); default: PATH. */
  networkToolsPath?: string;
  /** Where workflows' custom metrics (`metrics.prometheus`) are recorded; the service exposes it on GET /metrics. */
  metricsRegistry?: Registry;
  log?: (msg: string) => void;
}

export interface LocalEngine extends Engine {
  /** Calls `listener` with a snapshot on phase changes and batched progress; returns an unsubscribe function. */
  onUpdate(listener: (wf: Workflow) => void): () => void;
  /** Resolves with the final Workflow. */
  wait(name: string): Promise<Workflow>;
  /**
   * Keeps a WorkflowTemplate or ClusterWorkflowTemplate for `workflowTemplateRef` / `templateRef`, or a ConfigMap
   * (labelled `workflows.argoproj.io/configmap-type: Parameter`) for `valueFrom.configMapKeyRef` parameters.
   */
  registerTemplate(doc: ManifestDoc): void;
  /** Holds the workflow as `spec.suspend: true` does: running pods go on, no new node starts until resume. */
  suspend(name: string): Promise<void>;
  /** The registered templates. */
  listTemplates(): ManifestDoc[];
}

/** Removes the sandbox layers of engines whose process is gone (each pool folder is named `<pid>-<random>`). */
async function removeDeadPools(dir: string): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  for (const entry of await readdir(dir).catch(() => [])) {
    const pid = Number(entry.split('-')[0]);
    // A layer a pod made unreadable (chmod 000) is opened again by removeTree.
    if (!Number.isInteger(pid) || !alive(pid)) await removeTree(path.join(dir, entry)).catch(() => undefined);
  }
}

export const RESTART_MESSAGE = 'workflow interrupted by a service restart';

/** Creates the engine: recovers workflows a previous process left running, then takes work. */
export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const log = options.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.join(dataDir, 'artifacts'), { recursive: true });
  let sandbox: 'bwrap' | 'none';
  const wanted = options.sandbox ?? 'auto';
  if (wanted === 'none') sandbox = 'none';
  else {
    const problem = await bwrapProblem();
    if (!problem) sandbox = 'bwrap';
    else if (wanted === 'bwrap') throw new SandboxUnavailableError(problem);
    else {
      log(`local engine: ${problem}`);
      sandbox = 'none';
    }
  }
  if (sandbox === 'none') {
    log(
      "local engine: WARNING: no sandbox (bubblewrap unavailable or disabled): steps run as host processes with the service's rights and can read its files; declared paths such as /input_dir are rewritten to per-node folders in commands, args and env",
    );
  }
  const limits: StepLimits = {
    ...DEFAULT_LIMITS,
    ...Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined)),
  };
  const poolName = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const roots = new RootPool(path.join(dataDir, 'sandbox', poolName), path.join(dataDir, 'sandbox-aside', poolName));
  for (const dir of ['sandbox', 'sandbox-aside']) await removeDeadPools(path.join(dataDir, dir));
  const strategy: SandboxStrategy = sandbox === 'bwrap' ? bubblewrap(roots) : hostProcesses;
  const host: PodHost = {};
  if (sandbox === 'bwrap') {
    const cgroups = await Cgroups.create();
    if (typeof cgroups === 'string')
      log(
        `local engine: WARNING: no cgroups for steps (${cgroups}); OGDC_LOCAL_STEP_PROCESSES and OGDC_LOCAL_STEP_MEMORY_MB fall back to per-process limits (RLIMIT_NPROC, RLIMIT_AS), and RLIMIT_NPROC does not bind a service running as root`,
      );
    else host.cgroups = cgroups;
    const tools = await networkTools(options.networkToolsPath);
    if (typeof tools === 'string') host.egressProblem = tools;
    else host.networkTools = tools;
    if (host.egressProblem)
      log(
        `local engine: ${limits.network === 'egress' ? 'WARNING: ' : ''}steps with network (the fetch step${limits.network === 'egress' ? ', OGDC_LOCAL_STEP_NETWORK=egress' : ''}) will fail: ${host.egressProblem}`,
      );
    // Beside the layer pools (whose folder holds only layers), written at every start: its content never changes.
    host.resolvConf = path.join(dataDir, 'sandbox-resolv.conf');
    await writeFile(host.resolvConf, `nameserver ${SLIRP_DNS}\n`, { mode: 0o644 });
  }
  const db = new WorkflowStore(options.db);
  const artifacts = new ArtifactStore(path.join(dataDir, 'artifacts'));
  const processSlots = new FairSemaphore(options.maxProcesses ?? availableParallelism());
  const spawner = new Spawner();
  const active = new Map<string, ActiveRun>();
  const registry = new TemplateRegistry();
  const configMaps = new ConfigMapStore();
  const locks = new LockManager();
  const memo = new MemoStore(options.db);
  const metrics = WorkflowMetrics.for(options.metricsRegistry ?? workflowMetricsRegistry);
  const listeners = new Set<(wf: Workflow) => void>();
  const ttlTimers = new Map<string, NodeJS.Timeout>();
  const wfDir = (name: string) => path.join(dataDir, 'workflows', name);
  let closed = false;

  const interrupted = await db.markInterrupted(RESTART_MESSAGE, now());
  if (interrupted.length > 0) log(`local engine: marked ${interrupted.length} interrupted workflow(s) as Error: ${interrupted.join(', ')}`);

  /** Followers of `watch`: every update as MODIFIED, and DELETED when a workflow is removed. */
  const watchers = new Set<(event: WorkflowEvent) => void>();
  const deliver = <T>(to: Iterable<(arg: T) => void>, arg: T) => {
    for (const l of to) {
      try {
        l(arg);
      } catch (err) {
        log(`local engine: update listener failed: ${(err as Error).message}`);
      }
    }
  };
  const notify = (wf: Workflow) => {
    deliver(listeners, wf);
    deliver(watchers, { type: 'MODIFIED', workflow: wf });
  };

  const remove = async (name: string): Promise<void> => {
    const wf = await db.load(name);
    if (!wf) throw new WorkflowNotFoundError(name);
    const run = active.get(name);
    if (run) {
      run.stop("Stopped with strategy 'Stop'");
      await run.done;
    }
    clearTimeout(ttlTimers.get(name));
    ttlTimers.delete(name);
    await db.delete(name);
    deliver(watchers, { type: 'DELETED', workflow: run ? await run.done : wf });
    await rm(wfDir(name), { recursive: true, force: true });
    if ((wf.spec.artifactGC as Obj | undefined)?.strategy === 'OnWorkflowDeletion') await artifacts.deletePrefix(`${name}/`);
    for (const key of gcKeys(wf, 'OnWorkflowDeletion')) await artifacts.deletePrefix(key).catch(() => undefined);
  };

  const scheduleTtl = (name: string, at: Date) => {
    const timer = setTimeout(
      () => {
        ttlTimers.delete(name);
        remove(name).catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) log(`local engine: TTL deletion of ${name} failed: ${(err as Error).message}`);
        });
      },
      Math.max(0, at.getTime() - Date.now()),
    );
    timer.unref();
    ttlTimers.set(name, timer);
  };
  for (const { name, deleteAfter: at } of await db.expiring()) scheduleTtl(name, at);

  /** Every workflow the engine holds (running ones as they are now), without nodes. */
  const listAll = async (): Promise<Workflow[]> => {
    const stored = await db.summaries();
    return stored.map((wf) => active.get(wf.metadata.name!)?.snapshot() ?? wf);
  };

  const get = async (name: string): Promise<Workflow> => {
    const run = active.get(name);
    if (run) return run.snapshot();
    const wf = await db.load(name);
    if (!wf) throw new WorkflowNotFoundError(name);
    return wf;
  };

  const engine: LocalEngine = {
    kind: 'local',
    // Workflows run in this process: another service process does not see them run.
    shared: false,

    async submit(manifest: Workflow, submitOptions?: SubmitOptions): Promise<Workflow> {
      if (closed) throw new ManifestRejectedError('the local engine is closed');
      const problems = schemaProblems(manifest);
      if (problems.length > 0) {
        const field = problems[0]!.split(':')[0]!.replace(/^\//, '').replace(/\//g, '.');
        throw new ManifestRejectedError(
          `manifest does not match Argo's Workflow schema: ${problems.slice(0, 5).join('; ')}`,
          field || undefined,
        );
      }
      const wf = structuredClone(manifest);
      delete wf.status;
      wf.metadata.namespace ??= options.namespace ?? 'default';
      registry.resolve(wf, wf.metadata.namespace);
      configMaps.resolve(wf, wf.metadata.namespace);
      checkLocalSubset(wf);
      checkAdmission(wf);
      applyParameters(wf, submitOptions?.parameters ?? {});
      checkSuppliedInputs(wf);
      checkVariables(wf);
      if (!wf.metadata.name && !wf.metadata.generateName)
        throw new ManifestRejectedError('metadata.name or metadata.generateName is required', 'metadata.name');
      wf.metadata.namespace ??= options.namespace ?? 'default';
      wf.metadata.uid = randomUUID();
      wf.metadata.creationTimestamp = now();
      wf.metadata.labels = { ...wf.metadata.labels, 'workflows.argoproj.io/phase': 'Running' };
      const fixedName = wf.metadata.name;
      let artifactScope: ArtifactScope | undefined;
      for (let attempt = 0; ; attempt++) {
        wf.metadata.name = fixedName ?? generateWorkflowName(wf.metadata.generateName!);
        applyLabelsFrom(wf);
        artifactScope = artifactScopeOf(wf.metadata.name, wf.metadata.labels, submitOptions?.artifactReadPrefixes);
        checkArtifactKeys(wf, artifactScope);
        if (await db.insert({ ...wf, status: { phase: 'Running', startedAt: wf.metadata.creationTimestamp } })) break;
        if (fixedName || attempt > 5) throw new ManifestRejectedError(`workflow "${wf.metadata.name}" already exists`, 'metadata.name');
      }
      const name = wf.metadata.name;
      const run = new ActiveRun(wf, {
        dataDir,
        store: artifacts,
        sandbox: strategy,
        processSlots,
        spawner,
        limits,
        fetchHostNetwork: options.fetchHostNetwork ?? false,
        allowPrivateHttp: options.allowPrivateHttp ?? false,
        artifactScope,
        host,
        log,
        persist: (snapshot, nodes) => db.save(snapshot, nodes),
        locks,
        memo,
        metrics,
        configMapValue: (ns, cm, key) => configMaps.raw(ns, cm, key),
        notify,
      });
      active.set(name, run);
      const first = run.snapshot();
      void run.done.then(async (final) => {
        for (const key of gcKeys(final, 'OnWorkflowCompletion')) await artifacts.deletePrefix(key).catch(() => undefined);
        const at = deleteAfter(final);
        if (at) {
          await db
            .save(final, [], at)
            .catch((err: unknown) => log(`local engine: saving TTL of ${name} failed: ${(err as Error).message}`));
          scheduleTtl(name, at);
        }
        active.delete(name);
        notify(final);
      });
      return first;
    },

    get,

    logs(name: string, logOptions?: LogOptions): AsyncIterable<LogLine> {
      return {
        [Symbol.asyncIterator]: () => streamLogs(() => get(name), wfDir(name), logOptions ?? {})[Symbol.asyncIterator](),
      };
    },

    async stop(name: string): Promise<void> {
      const run = active.get(name);
      if (!run) {
        await get(name);
        return;
      }
      run.stop("Stopped with strategy 'Stop'", "Stopped with strategy 'Stop'");
      await run.done;
    },

    delete: remove,

    async resume(name: string, resumeOptions?: ResumeOptions): Promise<void> {
      const run = active.get(name);
      if (!run) {
        await get(name);
        throw new WorkflowNotSuspendedError(name);
      }
      if (!run.isSuspended) throw new WorkflowNotSuspendedError(name);
      run.resume(resumeOptions?.parameters ?? {});
      await run.flush();
    },

    async suspend(name: string): Promise<void> {
      const run = active.get(name);
      if (!run) {
        await get(name);
        throw new WorkflowCompletedError(name);
      }
      run.suspend();
    },

    async list(labelSelector: string): Promise<Workflow[]> {
      const found = await db.list(parseLabelSelector(labelSelector));
      return Promise.all(found.map((wf) => active.get(wf.metadata.name!)?.snapshot() ?? wf));
    },

    putArtifact: (key, body) => artifacts.put(key, body),
    getArtifact: (key) => artifacts.get(key),
    // Artifacts are files of this machine: only the service in front of the engine can hand them out.
    artifactLink: async () => undefined,
    claimFolder: (claim) => claimFolderIn(dataDir, claim),

    async ping(): Promise<void> {
      await options.db.query('SELECT 1 FROM local_workflows LIMIT 1');
    },

    onUpdate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    watch(listener) {
      return watchUpdates(watchers, () => listAll(), listener, log);
    },

    registerTemplate(doc: ManifestDoc): void {
      if (doc.kind === 'ConfigMap') configMaps.register(doc, options.namespace ?? 'default');
      else registry.register(doc, options.namespace ?? 'default');
    },

    listTemplates: () => registry.list(),

    async wait(name: string): Promise<Workflow> {
      const run = active.get(name);
      return run ? run.done : get(name);
    },

    async close(): Promise<void> {
      closed = true;
      const runs = [...active.values()];
      for (const run of runs)
        run.stop('Stopped: the local engine was closed', 'workflow interrupted: the local engine was closed', 'Error');
      await Promise.all(runs.map((r) => r.done));
      for (const t of ttlTimers.values()) clearTimeout(t);
      await spawner.close();
      await host.cgroups?.close();
      await roots.close();
    },
  };
  return engine;
}
