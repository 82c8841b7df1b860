/**
 * Following Argo's watch stream (`GET /api/v1/workflow-events/{ns}`, NDJSON of
 * `{"result":{"type","object"}}`) for our runs' label selector. The watch starts from a
 * list and resumes after the last resource version it saw when the connection drops
 * (bounded exponential back-off); a "too old resource version" error starts over from a
 * list. A periodic list is the safety net for a stream that stalls or loses events: when
 * it shows a version the stream never delivered, the stream is reopened from the list's
 * version. Lines that are not events are skipped and counted.
 */
import type http from 'node:http';
import type { Workflow, WorkflowEvent } from '../types.ts';
import type { ArgoHttp } from './http.ts';

interface ArgoWatchOptions {
  namespace: string;
  labelSelector: string;
  /** Safety-net list interval. */
  resyncMs: number;
  /** Back-off after a failed or ended stream: from `minBackoffMs`, doubling, at most `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  log?: (message: string) => void;
}

export interface ArgoWatchStats {
  /** Stream lines that were not an event. */
  garbage: number;
  /** Streams opened. */
  connects: number;
  /** Lists made (start, resync, restart). */
  lists: number;
}

/** A line longer than this is garbage: a workflow object the API server would refuse (etcd's limit is 1.5 MB). */
const MAX_LINE = 64 * 1024 * 1024;

/** One followed watch: its stream, its resync timer, and what it has delivered. */
class ArgoWatch {
  readonly stats: ArgoWatchStats = { garbage: 0, connects: 0, lists: 0 };
  private readonly ns: string;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly log: (message: string) => void;
  /** The version each workflow was last delivered at; a resync compares against it. */
  private readonly seen = new Map<string, string | undefined>();
  private resourceVersion: string | undefined;
  private stopped = false;
  private current: http.IncomingMessage | undefined;
  private wake: (() => void) | undefined;
  private readonly resync: NodeJS.Timeout;

  constructor(
    private readonly http: ArgoHttp,
    private readonly options: ArgoWatchOptions,
    private readonly listener: (event: WorkflowEvent) => void,
  ) {
    this.ns = encodeURIComponent(options.namespace);
    this.minBackoff = options.minBackoffMs ?? 250;
    this.maxBackoff = options.maxBackoffMs ?? 5_000;
    this.log = options.log ?? (() => {});
    this.resync = setInterval(() => {
      this.relist()
        .then((missed) => {
          // The stream lost or has not delivered something the list shows: reopen it from the list's version.
          if (missed && this.current) this.current.destroy();
        })
        .catch((err: unknown) => this.log(`watch resync failed: ${(err as Error).message}`));
    }, options.resyncMs);
    this.resync.unref();
    void this.streamLoop();
  }

  private emit(event: WorkflowEvent): void {
    try {
      this.listener(event);
    } catch (err) {
      this.log(`watch listener failed: ${(err as Error).message}`);
    }
  }

  private async list(): Promise<{ items: Workflow[]; version: string | undefined }> {
    this.stats.lists += 1;
    const answer = await this.http.json<{ metadata?: { resourceVersion?: string }; items?: Workflow[] | null }>({
      operation: `list workflows labelled "${this.options.labelSelector}"`,
      method: 'GET',
      path: `/api/v1/workflows/${this.ns}`,
      query: { 'listOptions.labelSelector': this.options.labelSelector || undefined },
    });
    const items = answer.items ?? [];
    this.emit({ type: 'LISTED', workflows: items });
    return { items, version: answer.metadata?.resourceVersion };
  }

  /** Lists and records what the list says; true when the stream had missed something. */
  private async relist(): Promise<boolean> {
    const { items, version } = await this.list();
    let missed = items.length !== this.seen.size;
    const names = new Set<string>();
    for (const wf of items) {
      const name = wf.metadata.name ?? '';
      names.add(name);
      if (this.seen.get(name) !== wf.metadata.resourceVersion) missed = true;
      this.seen.set(name, wf.metadata.resourceVersion);
    }
    for (const name of this.seen.keys()) if (!names.has(name)) this.seen.delete(name);
    if (version) this.resourceVersion = version;
    return missed;
  }

  private handleLine(text: string): boolean {
    if (!text.trim()) return false;
    let message: { result?: { type?: unknown; object?: Workflow }; error?: { message?: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      this.stats.garbage += 1;
      return false;
    }
    if (message.error) {
      this.log(`watch stream error: ${message.error.message ?? JSON.stringify(message.error)}`);
      // An expired version cannot be resumed: start over from a list.
      if (/too old resource version|expired/i.test(message.error.message ?? '')) this.resourceVersion = undefined;
      return false;
    }
    const type = message.result?.type;
    const wf = message.result?.object;
    if ((type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') || !wf || typeof wf.metadata?.name !== 'string') {
      this.stats.garbage += 1;
      return false;
    }
    if (wf.metadata.resourceVersion) this.resourceVersion = wf.metadata.resourceVersion;
    if (type === 'DELETED') this.seen.delete(wf.metadata.name);
    else this.seen.set(wf.metadata.name, wf.metadata.resourceVersion);
    this.emit({ type, workflow: wf });
    return true;
  }

  /** Reads one stream to its end; true when at least one event arrived. */
  private async readStream(): Promise<boolean> {
    const response = await this.http.stream({
      operation: 'watch workflows',
      method: 'GET',
      path: `/api/v1/workflow-events/${this.ns}`,
      query: { 'listOptions.labelSelector': this.options.labelSelector || undefined, 'listOptions.resourceVersion': this.resourceVersion },
    });
    this.stats.connects += 1;
    this.current = response;
    let events = false;
    let buffered = '';
    try {
      response.setEncoding('utf8');
      for await (const chunk of response as AsyncIterable<string>) {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          if (this.handleLine(buffered.slice(0, nl))) events = true;
          buffered = buffered.slice(nl + 1);
        }
        if (buffered.length > MAX_LINE) {
          this.stats.garbage += 1;
          buffered = '';
          response.destroy();
        }
      }
    } catch {
      // Cut off: resume from the last version seen.
    } finally {
      this.current = undefined;
    }
    if (buffered.trim() && this.handleLine(buffered)) events = true;
    return events;
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async streamLoop(): Promise<void> {
    let backoff = this.minBackoff;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        const delivered = await this.readStream();
        if (delivered) backoff = this.minBackoff;
      } catch (err) {
        this.log(`watch failed: ${(err as Error).message}`);
      }
      if (this.stopped) break;
      await this.pause(backoff);
      backoff = Math.min(backoff * 2, this.maxBackoff);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.resync);
    this.current?.destroy();
    this.wake?.();
  }
}

export function followArgoWatch(
  http: ArgoHttp,
  options: ArgoWatchOptions,
  listener: (event: WorkflowEvent) => void,
): { stop(): void; stats: ArgoWatchStats } {
  return new ArgoWatch(http, options, listener);
}
