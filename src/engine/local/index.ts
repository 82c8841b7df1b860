/** The local workflow engine: runs Argo Workflow manifests on this machine (DESIGN §6). */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Db } from '../../db/types.ts';
import { ManifestRejectedError } from '../errors.ts';
import type { Engine, LogLine, LogOptions, SubmitOptions, Workflow } from '../types.ts';
import { workflowMetricsRegistry } from '../metrics.ts';
import type { ManifestDoc } from './admission/manifest-file.ts';
import { parseLabelSelector } from './admission/submit-helpers.ts';
import { now } from './execution/context.ts';
import { WorkflowMetrics } from './execution/metrics.ts';
import { ActiveRun, type RunDeps } from './execution/run.ts';
import { FairSemaphore } from './execution/semaphore.ts';
import { LockManager } from './execution/sync.ts';
import { TemplateRegistry } from './execution/templates.ts';
import { streamLogs } from './pods/logs.ts';
import { Spawner } from './pods/spawner.ts';
import type { StepLimits } from './pods/limits.ts';
import { LocalRuns } from './runs.ts';
import { prepareHost, type PreparedHost } from './startup.ts';
import { admit, insertNamed } from './submit.ts';
import { ArtifactStore } from './state/artifact-store.ts';
import { ConfigMapStore } from './state/configmaps.ts';
import { DbMemoStore, MemoryMemoStore, type MemoStore } from './state/memo.ts';
import { MemoryWorkflowStore } from './state/memory-store.ts';
import { WorkflowStore, type WorkflowRecords } from './state/store.ts';
import { claimFolderIn } from './state/volumes.ts';

interface LocalEngineOptions {
  /**
   * A migrated database (migrations 003 and 010 hold the engine's tables): the service's engine keeps its workflows
   * and `memoize` caches there, so they outlive a restart. Absent, each of `records` and `memo` not given is kept
   * in this process's memory and ends with it (`run-workflow`).
   */
  db?: Db;
  /** Where workflows and their nodes are kept instead of `db`'s tables. */
  records?: WorkflowRecords;
  /** Where `memoize` caches are kept instead of `db`'s table (`run-workflow --data-dir`: files there). */
  memo?: MemoStore;
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

/** `memoize` caches as files of a folder, for an engine without a database (`run-workflow --data-dir`). */
export { FileMemoStore } from './state/memo.ts';

export const RESTART_MESSAGE = 'workflow interrupted by a service restart';

/** What every run of this engine shares, fixed at start (RunDeps less the per-workflow fields). */
type Shared = Omit<RunDeps, 'artifactScope' | 'persist'>;

/** The engine's parts, started: what `createLocalEngine`'s methods call. */
interface Parts {
  dataDir: string;
  namespace: string;
  records: WorkflowRecords;
  artifacts: ArtifactStore;
  runs: LocalRuns;
  registry: TemplateRegistry;
  configMaps: ConfigMapStore;
  shared: Shared;
  prepared: PreparedHost;
}

/** Start-up: the host checks and the recovery of a previous process's workflows at once, then the shared parts. */
async function start(options: LocalEngineOptions): Promise<Parts> {
  const log = options.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const dataDir = path.resolve(options.dataDir);
  const records = options.records ?? (options.db ? new WorkflowStore(options.db) : new MemoryWorkflowStore());
  const [prepared, interrupted] = await Promise.all([
    prepareHost({ dataDir, sandbox: options.sandbox ?? 'auto', limits: options.limits, networkToolsPath: options.networkToolsPath, log }),
    records.markInterrupted(RESTART_MESSAGE, now()),
  ]);
  if (interrupted.length > 0) log(`local engine: marked ${interrupted.length} interrupted workflow(s) as Error: ${interrupted.join(', ')}`);
  const artifacts = new ArtifactStore(path.join(dataDir, 'artifacts'));
  const runs = new LocalRuns(records, artifacts, dataDir, log);
  await runs.restoreTtls();
  const configMaps = new ConfigMapStore();
  const shared: Shared = {
    dataDir,
    store: artifacts,
    sandbox: prepared.strategy,
    processSlots: new FairSemaphore(options.maxProcesses ?? availableParallelism()),
    spawner: new Spawner(),
    limits: prepared.limits,
    fetchHostNetwork: options.fetchHostNetwork ?? false,
    allowPrivateHttp: options.allowPrivateHttp ?? false,
    host: prepared.host,
    log,
    locks: new LockManager(),
    memo: options.memo ?? (options.db ? new DbMemoStore(options.db) : new MemoryMemoStore()),
    metrics: WorkflowMetrics.for(options.metricsRegistry ?? workflowMetricsRegistry),
    configMapValue: (ns, cm, key) => configMaps.raw(ns, cm, key),
    notify: runs.notify,
  };
  const namespace = options.namespace ?? 'default';
  return { dataDir, namespace, records, artifacts, runs, registry: new TemplateRegistry(), configMaps, shared, prepared };
}

/** Creates the engine: recovers workflows a previous process left running, then takes work. */
export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const { dataDir, namespace, records, artifacts, runs, registry, configMaps, shared, prepared } = await start(options);
  let closed = false;

  const engine: LocalEngine = {
    kind: 'local',
    // Workflows run in this process: another service process does not see them run.
    shared: false,

    async submit(manifest: Workflow, submitOptions?: SubmitOptions): Promise<Workflow> {
      if (closed) throw new ManifestRejectedError('the local engine is closed');
      const wf = admit(manifest, submitOptions, { namespace, registry, configMaps });
      const artifactScope = await insertNamed(wf, records, submitOptions);
      const run = new ActiveRun(wf, { ...shared, artifactScope, persist: (snapshot, nodes) => records.save(snapshot, nodes) });
      runs.track(wf.metadata.name!, run);
      return run.snapshot();
    },

    get: (name) => runs.get(name),

    logs(name: string, logOptions?: LogOptions): AsyncIterable<LogLine> {
      return {
        [Symbol.asyncIterator]: () => streamLogs(() => runs.get(name), runs.wfDir(name), logOptions ?? {})[Symbol.asyncIterator](),
      };
    },

    stop: (name) => runs.stop(name),
    delete: (name) => runs.remove(name),
    resume: (name, resumeOptions) => runs.resume(name, resumeOptions),
    suspend: (name) => runs.suspend(name),
    list: async (labelSelector) => runs.list(parseLabelSelector(labelSelector)),

    putArtifact: (key, body) => artifacts.put(key, body),
    getArtifact: (key) => artifacts.get(key),
    // Artifacts are files of this machine: only the service in front of the engine can hand them out.
    artifactLink: async () => undefined,
    claimFolder: (claim) => claimFolderIn(dataDir, claim),
    ping: () => records.ping(),
    onUpdate: (listener) => runs.onUpdate(listener),
    watch: (listener) => runs.watch(listener),

    registerTemplate(doc: ManifestDoc): void {
      if (doc.kind === 'ConfigMap') configMaps.register(doc, namespace);
      else registry.register(doc, namespace);
    },

    listTemplates: () => registry.list(),
    wait: (name) => runs.wait(name),

    async close(): Promise<void> {
      closed = true;
      await runs.closeAll();
      await shared.spawner.close();
      await prepared.host.cgroups?.close();
      await prepared.roots.close();
    },
  };
  return engine;
}
