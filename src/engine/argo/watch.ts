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

export function followArgoWatch(
  http: ArgoHttp,
  options: ArgoWatchOptions,
  listener: (event: WorkflowEvent) => void,
): { stop(): void; stats: ArgoWatchStats } {
  const ns = encodeURIComponent(options.namespace);
  const minBackoff = options.minBackoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  const stats: ArgoWatchStats = { garbage: 0, connects: 0, lists: 0 };
  const log = options.log ?? (() => {});
  /** The version each workflow was last delivered at; a resync compares against it. */
  const seen = new Map<string, string | undefined>();
  let resourceVersion: string | undefined;
  let stopped = false;
  let current: http.IncomingMessage | undefined;
  let wake: (() => void) | undefined;

  const emit = (event: WorkflowEvent) => {
    try {
      listener(event);
    } catch (err) {
      log(`watch listener failed: ${(err as Error).message}`);
    }
  };

  async function list(): Promise<{ items: Workflow[]; version: string | undefined }> {
    stats.lists += 1;
    const answer = await http.json<{ metadata?: { resourceVersion?: string }; items?: Workflow[] | null }>({
      operation: `list workflows labelled "${options.labelSelector}"`,
      method: 'GET',
      path: `/api/v1/workflows/${ns}`,
      query: { 'listOptions.labelSelector': options.labelSelector || undefined },
    });
    const items = answer.items ?? [];
    emit({ type: 'LISTED', workflows: items });
    return { items, version: answer.metadata?.resourceVersion };
  }

  /** Lists and records what the list says; true when the stream had missed something. */
  async function relist(): Promise<boolean> {
    const { items, version } = await list();
    let missed = items.length !== seen.size;
    const names = new Set<string>();
    for (const wf of items) {
      const name = wf.metadata.name ?? '';
      names.add(name);
      if (seen.get(name) !== wf.metadata.resourceVersion) missed = true;
      seen.set(name, wf.metadata.resourceVersion);
    }
    for (const name of seen.keys()) if (!names.has(name)) seen.delete(name);
    if (version) resourceVersion = version;
    return missed;
  }

  function handleLine(text: string): boolean {
    if (!text.trim()) return false;
    let message: { result?: { type?: unknown; object?: Workflow }; error?: { message?: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      stats.garbage += 1;
      return false;
    }
    if (message.error) {
      log(`watch stream error: ${message.error.message ?? JSON.stringify(message.error)}`);
      // An expired version cannot be resumed: start over from a list.
      if (/too old resource version|expired/i.test(message.error.message ?? '')) resourceVersion = undefined;
      return false;
    }
    const type = message.result?.type;
    const wf = message.result?.object;
    if ((type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') || !wf || typeof wf.metadata?.name !== 'string') {
      stats.garbage += 1;
      return false;
    }
    if (wf.metadata.resourceVersion) resourceVersion = wf.metadata.resourceVersion;
    if (type === 'DELETED') seen.delete(wf.metadata.name);
    else seen.set(wf.metadata.name, wf.metadata.resourceVersion);
    emit({ type, workflow: wf });
    return true;
  }

  /** Reads one stream to its end; true when at least one event arrived. */
  async function readStream(): Promise<boolean> {
    const response = await http.stream({
      operation: 'watch workflows',
      method: 'GET',
      path: `/api/v1/workflow-events/${ns}`,
      query: { 'listOptions.labelSelector': options.labelSelector || undefined, 'listOptions.resourceVersion': resourceVersion },
    });
    stats.connects += 1;
    current = response;
    let events = false;
    let buffered = '';
    try {
      response.setEncoding('utf8');
      for await (const chunk of response as AsyncIterable<string>) {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          if (handleLine(buffered.slice(0, nl))) events = true;
          buffered = buffered.slice(nl + 1);
        }
        if (buffered.length > MAX_LINE) {
          stats.garbage += 1;
          buffered = '';
          response.destroy();
        }
      }
    } catch {
      // Cut off: resume from the last version seen.
    } finally {
      current = undefined;
    }
    if (buffered.trim() && handleLine(buffered)) events = true;
    return events;
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function streamLoop(): Promise<void> {
    let backoff = minBackoff;
    while (!stopped) {
      try {
        if (resourceVersion === undefined) await relist();
        const delivered = await readStream();
        if (delivered) backoff = minBackoff;
      } catch (err) {
        log(`watch failed: ${(err as Error).message}`);
      }
      if (stopped) break;
      await pause(backoff);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }

  const resync = setInterval(() => {
    relist()
      .then((missed) => {
        // The stream lost or has not delivered something the list shows: reopen it from the list's version.
        if (missed && current) current.destroy();
      })
      .catch((err: unknown) => log(`watch resync failed: ${(err as Error).message}`));
  }, options.resyncMs);
  resync.unref();
  void streamLoop();

  return {
    stats,
    stop() {
      stopped = true;
      clearInterval(resync);
      current?.destroy();
      wake?.();
    },
  };
}
