/**
 * The Argo stand-in's watch stream, `GET /api/v1/workflow-events/{namespace}`, as Argo's
 * server sends it (server/workflow/workflow_server.go WatchWorkflows through grpc-gateway):
 * newline-delimited `{"result":{"type":"ADDED|MODIFIED|DELETED","object":Workflow}}`, an
 * error as `{"error":{...}}` before the stream ends. Every change bumps one cluster-wide
 * resource version (as etcd's revision does); a watch resumes after `listOptions.resourceVersion`,
 * or, without one, starts with an ADDED event per existing workflow. Tests can drop, stall
 * or garble the open streams.
 */
import type http from 'node:http';
import type { Workflow } from '../../src/engine/types.ts';
import { parseLabelSelector } from './label-selector.ts';

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Watcher {
  res: http.ServerResponse;
  namespace: string;
  matches: (labels: Record<string, string> | undefined) => boolean;
  /** Events held back while the stream is stalled. */
  stalled: boolean;
}

/** How many past events a watch can resume from; older versions get Kubernetes' "too old" error. */
const HISTORY = 10_000;

export interface WatchHub {
  /** The current resource version (as list answers carry it). */
  version(): string;
  /** Records a change of `wf` (stamping its resourceVersion) and sends it to matching watchers. */
  record(type: WatchEventType, wf: Workflow): void;
  /** Serves one watch request. */
  serve(res: http.ServerResponse, namespace: string, query: URLSearchParams, current: Iterable<Workflow>): void;
  /** Open watch streams. */
  readonly open: number;
  /** Cuts every open stream's connection. */
  drop(): void;
  /** Stops (true) or resumes (false) writing to the streams open now; a stalled stream stays connected. */
  stall(on: boolean): void;
  /** Writes a line that is not an event to every open stream. */
  garble(line?: string): void;
  close(): void;
}

export function createWatchHub(): WatchHub {
  let revision = 1;
  const history: Array<{ rv: number; type: WatchEventType; wf: Workflow }> = [];
  const watchers = new Set<Watcher>();

  const line = (type: WatchEventType, wf: Workflow) => `${JSON.stringify({ result: { type, object: wf } })}\n`;

  function send(w: Watcher, type: WatchEventType, wf: Workflow): void {
    if (w.stalled || wf.metadata.namespace !== w.namespace || !w.matches(wf.metadata.labels)) return;
    w.res.write(line(type, wf));
  }

  return {
    version: () => String(revision),
    record(type, wf) {
      revision += 1;
      wf.metadata.resourceVersion = String(revision);
      const copy = structuredClone(wf);
      history.push({ rv: revision, type, wf: copy });
      if (history.length > HISTORY) history.shift();
      for (const w of watchers) send(w, type, copy);
    },
    serve(res, namespace, query, current) {
      let matches: Watcher['matches'];
      try {
        matches = parseLabelSelector(query.get('listOptions.labelSelector') ?? '');
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 3, message: (err as Error).message, details: [] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      // Argo's server sends the headers at once, before any event.
      res.flushHeaders();
      const w: Watcher = { res, namespace, matches, stalled: false };
      const from = query.get('listOptions.resourceVersion');
      if (from) {
        const rv = Number(from);
        const oldest = history[0]?.rv ?? revision + 1;
        if (!Number.isInteger(rv) || (rv < oldest - 1 && rv < revision)) {
          // Kubernetes answers 410 Gone; Argo's server turns the watch error into a stream error.
          res.end(
            `${JSON.stringify({ error: { grpc_code: 13, http_code: 500, message: `too old resource version: ${from} (${oldest})`, http_status: 'Internal Server Error', details: [] } })}\n`,
          );
          return;
        }
        for (const e of history) if (e.rv > rv) send(w, e.type, e.wf);
      } else {
        for (const wf of current) send(w, 'ADDED', wf);
      }
      watchers.add(w);
      res.on('close', () => watchers.delete(w));
    },
    get open() {
      return watchers.size;
    },
    drop() {
      for (const w of watchers) w.res.socket?.destroy();
      watchers.clear();
    },
    stall(on) {
      for (const w of watchers) w.stalled = on;
    },
    garble(text = '{"result":{"type":"MODIFIED","object":') {
      for (const w of watchers) if (!w.stalled) w.res.write(`${text}\n`);
    },
    close() {
      for (const w of watchers) w.res.end();
      watchers.clear();
    },
  };
}
