/**
 * The `argo` engine: workflows run on a real Argo Server, reached over its REST
 * API (`/api/v1/workflows/{namespace}`); key-only artifacts live in the default
 * artifact repository, the S3 bucket.
 */
import type { S3Config } from '../../config/index.ts';
import { S3ObjectNotFoundError } from '../../storage/errors.ts';
import { createS3Client, type S3Client } from '../../storage/s3.ts';
import {
  ArtifactNotFoundError,
  EngineUnavailableError,
  ManifestRejectedError,
  ResumeRejectedError,
  WorkflowNotFoundError,
  WorkflowNotSuspendedError,
  WorkflowCompletedError,
} from '../errors.ts';
import type { Engine, LogLine, LogOptions, ResumeOptions, SubmitOptions, Workflow, WorkflowEvent } from '../types.ts';
import { ArgoApiError } from './errors.ts';
import { createArgoHttp } from './http.ts';
import { parseLogStream } from './logs.ts';
import { applySubmitParameters } from './parameters.ts';
import { podNameForNode } from './pod-name.ts';
import { followArgoWatch, type ArgoWatchStats } from './watch.ts';

interface ArgoEngineOptions {
  /** Argo Server base URL, e.g. `https://argo.example.org:2746`. */
  serviceUrl: string;
  namespace: string;
  /** ARGO_TOKEN, with or without its `Bearer ` prefix. */
  token?: string;
  insecureSkipVerify?: boolean;
  /** Per-request limit (headers and body; a followed log stream only until its headers). */
  timeoutMs?: number;
  /** Extra attempts of idempotent calls after a connection error or 5xx. */
  retries?: number;
  s3?: S3Config;
  /** Label selector of the workflows `watch` follows (our runs); default `ogdc/recipe-id`. */
  watchLabelSelector?: string;
  /** Safety-net list interval of `watch`; default 30 s. */
  watchResyncMs?: number;
  /** Where the watch reports dropped streams and garbage. */
  log?: (message: string) => void;
}

export interface ArgoEngine extends Engine {
  /** Counters summed over every watch this engine ran. */
  readonly watchStats: ArgoWatchStats;
}

/** A leading field path in an Argo validation message: `spec.entrypoint template …`, `/spec/templates/0: …`. */
function fieldOf(message: string): string | undefined {
  return /^((?:spec|metadata|templates)\b[\w.[\]/-]*|\/[\w./-]*)(?::|\s)/.exec(message)?.[1];
}

/** The Engine over the Argo Server REST API: each call one or a few requests, Argo's answers turned into our errors. */
class ArgoServerEngine implements ArgoEngine {
  readonly kind = 'argo' as const;
  // Every replica on the database reaches the same Argo Server.
  readonly shared = true;
  private readonly serviceUrl: string;
  private readonly timeoutMs: number;
  private readonly http: ReturnType<typeof createArgoHttp>;
  private readonly base: string;
  private s3: S3Client | undefined;
  private readonly watches = new Set<ReturnType<typeof followArgoWatch>>();
  private readonly ended: ArgoWatchStats = { garbage: 0, connects: 0, lists: 0 };

  constructor(private readonly options: ArgoEngineOptions) {
    this.serviceUrl = options.serviceUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.http = createArgoHttp({
      serviceUrl: this.serviceUrl,
      token: options.token,
      insecureSkipVerify: options.insecureSkipVerify,
      timeoutMs: this.timeoutMs,
      retries: options.retries ?? 2,
    });
    this.base = `/api/v1/workflows/${encodeURIComponent(options.namespace)}`;
  }

  private one(name: string): string {
    return `${this.base}/${encodeURIComponent(name)}`;
  }

  private storage(action: string): S3Client {
    if (!this.options.s3) {
      throw new EngineUnavailableError(
        `Cannot ${action}: the Argo engine keeps artifacts in S3, and no S3 is configured ` +
          '(set S3_SECRET_KEY_ID, S3_SECRET_KEY_KEY and INTERNAL_S3_ENDPOINT_URL).',
      );
    }
    this.s3 ??= createS3Client(this.options.s3, { timeoutMs: this.timeoutMs });
    return this.s3;
  }

  private s3Failure(err: unknown, key: string): never {
    if (err instanceof S3ObjectNotFoundError) throw new ArtifactNotFoundError(key);
    throw new EngineUnavailableError(`Artifact store failed for "${key}": ${(err as Error).message}`, { cause: err });
  }

  /** PUT …/{action} of one workflow; true when Argo refuses it because the workflow has finished (`finished`). */
  private async finishedOr(name: string, action: 'stop' | 'suspend', finished: RegExp): Promise<boolean> {
    const refused = (e: ArgoApiError) => finished.test(e.argoMessage);
    try {
      const operation = `${action} workflow "${name}"`;
      await this.onWorkflow(name, () =>
        this.http.json({ operation, method: 'PUT', path: `${this.one(name)}/${action}`, body: {}, permanent: refused }),
      );
      return false;
    } catch (err) {
      if (err instanceof ArgoApiError && refused(err)) return true;
      throw err;
    }
  }

  /** Runs a call on one workflow, turning Argo's 404 into WorkflowNotFoundError. */
  private async onWorkflow<T>(name: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ArgoApiError && err.status === 404) {
        // Argo's own 404 carries gRPC code 5 (NotFound); any other 404 means the URL reaches something else.
        if (err.grpcCode === 5) throw new WorkflowNotFoundError(name);
        throw new EngineUnavailableError(
          `Argo Server at ${this.serviceUrl} answered 404 without Argo's error body to ${err.operation} ` +
            `(is ARGO_WORKFLOWS_SERVICE_URL the Argo Server?): ${err.argoMessage}`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  get(name: string): Promise<Workflow> {
    return this.onWorkflow(name, () =>
      this.http.json<Workflow>({ operation: `get workflow "${name}"`, method: 'GET', path: this.one(name) }),
    );
  }

  get watchStats(): ArgoWatchStats {
    const total = { ...this.ended };
    for (const w of this.watches) for (const k of Object.keys(total) as Array<keyof ArgoWatchStats>) total[k] += w.stats[k];
    return total;
  }

  watch(listener: (event: WorkflowEvent) => void): () => void {
    const w = followArgoWatch(
      this.http,
      {
        namespace: this.options.namespace,
        labelSelector: this.options.watchLabelSelector ?? 'ogdc/recipe-id',
        resyncMs: this.options.watchResyncMs ?? 30_000,
        log: this.options.log,
      },
      listener,
    );
    this.watches.add(w);
    return () => {
      if (!this.watches.delete(w)) return;
      w.stop();
      for (const k of Object.keys(this.ended) as Array<keyof ArgoWatchStats>) this.ended[k] += w.stats[k];
    };
  }

  async submit(manifest: Workflow, submitOptions: SubmitOptions = {}): Promise<Workflow> {
    const workflow = applySubmitParameters(manifest, submitOptions.parameters);
    try {
      return await this.http.json<Workflow>({
        operation: `submit workflow "${workflow.metadata.name ?? workflow.metadata.generateName ?? ''}"`,
        method: 'POST',
        path: this.base,
        body: { namespace: this.options.namespace, workflow },
      });
    } catch (err) {
      if (err instanceof ArgoApiError && err.status === 409) throw new ManifestRejectedError(err.argoMessage, 'metadata.name');
      if (err instanceof ArgoApiError && (err.status === 400 || err.status === 422)) {
        throw new ManifestRejectedError(err.argoMessage, fieldOf(err.argoMessage));
      }
      throw err;
    }
  }

  async *logs(name: string, logOptions: LogOptions = {}): AsyncIterable<LogLine> {
    // Argo filters by pod name; callers may name a node by id or name, so map it through the workflow's nodes.
    const podName = logOptions.node === undefined ? undefined : podNameForNode(await this.get(name), logOptions.node);
    const response = await this.onWorkflow(name, () =>
      this.http.stream({
        operation: `stream the logs of "${name}"`,
        method: 'GET',
        path: `${this.one(name)}/log`,
        query: { podName, 'logOptions.container': 'main', 'logOptions.follow': String(logOptions.follow ?? false) },
      }),
    );
    yield* parseLogStream(response, {
      serviceUrl: this.serviceUrl,
      workflow: name,
      idleTimeoutMs: logOptions.follow ? undefined : this.timeoutMs,
    });
  }

  async stop(name: string): Promise<void> {
    // Argo answers 500 when the workflow has already finished; it is stopped either way.
    await this.finishedOr(name, 'stop', /cannot shutdown a completed workflow/);
  }

  async suspend(name: string): Promise<void> {
    if (await this.finishedOr(name, 'suspend', /cannot suspend completed workflows/)) throw new WorkflowCompletedError(name);
  }

  async resume(name: string, resumeOptions?: ResumeOptions): Promise<void> {
    const wf = await this.get(name);
    const waiting = Object.values(wf.status?.nodes ?? {}).filter((n) => n.type === 'Suspend' && n.phase === 'Running');
    if (wf.spec.suspend !== true && waiting.length === 0) throw new WorkflowNotSuspendedError(name);
    const values = resumeOptions?.parameters ?? {};
    // Supplied outputs are set per node (PUT …/set, as `argo node set --output-parameter`), then all resume.
    const supplied = (n: (typeof waiting)[number]) =>
      new Set(
        (n.outputs?.parameters ?? [])
          .filter((p) => (p as { valueFrom?: { supplied?: unknown } }).valueFrom?.supplied !== undefined)
          .map((p) => p.name),
      );
    for (const key of Object.keys(values))
      if (!waiting.some((n) => supplied(n).has(key)))
        throw new ResumeRejectedError(name, `node is not expecting output parameter '${key}'`);
    const refused = (e: ArgoApiError) =>
      /has not been set and does not have a default value|not expecting output parameter|cannot set output/.test(e.argoMessage);
    try {
      for (const node of waiting) {
        const mine = Object.fromEntries(Object.entries(values).filter(([k]) => supplied(node).has(k)));
        if (Object.keys(mine).length === 0) continue;
        await this.onWorkflow(name, () =>
          this.http.json({
            operation: `set outputs of node "${node.displayName}" of workflow "${name}"`,
            method: 'PUT',
            path: `${this.one(name)}/set`,
            body: { nodeFieldSelector: `id=${node.id}`, outputParameters: JSON.stringify(mine) },
            permanent: refused,
          }),
        );
      }
      await this.onWorkflow(name, () =>
        this.http.json({
          operation: `resume workflow "${name}"`,
          method: 'PUT',
          path: `${this.one(name)}/resume`,
          body: {},
          permanent: refused,
        }),
      );
    } catch (err) {
      if (err instanceof ArgoApiError && refused(err)) throw new ResumeRejectedError(name, err.argoMessage);
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    await this.onWorkflow(name, () => this.http.json({ operation: `delete workflow "${name}"`, method: 'DELETE', path: this.one(name) }));
  }

  async list(labelSelector: string): Promise<Workflow[]> {
    const answer = await this.http.json<{ items?: Workflow[] | null }>({
      operation: `list workflows labelled "${labelSelector}"`,
      method: 'GET',
      path: this.base,
      query: { 'listOptions.labelSelector': labelSelector || undefined },
    });
    // Argo encodes an empty list as `"items": null`.
    return answer.items ?? [];
  }

  async putArtifact(key: string, body: Buffer | string): Promise<void> {
    const client = this.storage(`store artifact "${key}"`);
    await client.putObject(key, body).catch((err: unknown) => this.s3Failure(err, key));
  }

  async getArtifact(key: string): Promise<NodeJS.ReadableStream> {
    const client = this.storage(`read artifact "${key}"`);
    return client.getObject(key).catch((err: unknown) => this.s3Failure(err, key));
  }

  async artifactLink(key: string, lifetimeSeconds: number): Promise<string> {
    const client = this.storage(`link artifact "${key}"`);
    // The object must exist: a URL that answers 404 later helps no one. S3's own failures keep their type (the
    // HTTP edge names the artifact store), so only a missing object is translated.
    if (!(await client.headObject(key))) throw new ArtifactNotFoundError(key);
    return client.presignGetUrl(key, lifetimeSeconds);
  }

  // Claims are Kubernetes volumes in the cluster, not folders on this machine.
  claimFolder(): undefined {
    return undefined;
  }

  async ping(): Promise<void> {
    try {
      await this.http.json({ operation: 'report its version', method: 'GET', path: '/api/v1/version' });
    } catch (err) {
      if (err instanceof EngineUnavailableError) throw err;
      throw new EngineUnavailableError(`Argo Server at ${this.serviceUrl} is not ready: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.stop();
    this.watches.clear();
    this.http.close();
    this.s3?.destroy();
    this.s3 = undefined;
  }
}

/** Builds an Engine over the Argo Server REST API. */
export function createArgoEngine(options: ArgoEngineOptions): ArgoEngine {
  return new ArgoServerEngine(options);
}
