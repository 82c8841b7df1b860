/**
 * A loopback stand-in for the Argo Server REST API (`/api/v1/workflows/{ns}` …),
 * answering with Argo's shapes, status codes and gRPC error bodies. It runs no
 * workflow: tests drive each workflow's status with `setStatus`.
 */
import { randomInt, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import type { LogLine, Workflow, WorkflowStatus } from '../../src/engine/types.ts';
import { parseLabelSelector } from './label-selector.ts';
import { createWatchHub, type WatchHub } from './argo-watch.ts';

type FailMode = 'down' | '500' | 'hang' | null;

export interface ArgoStandin {
  url: string;
  close(): Promise<void>;
  /** Every workflow by name, as the server holds it. */
  workflows: Map<string, Workflow>;
  /** Replaces a workflow's status; a finished phase ends any followed log stream. */
  setStatus(name: string, status: WorkflowStatus): void;
  /** The log lines of a workflow (else one default line per Pod node). */
  setLogs(name: string, lines: LogLine[]): void;
  /** Adds a line, delivered at once to followers. */
  appendLog(name: string, line: LogLine): void;
  requests: Array<{ method: string; path: string; query: string; authorization?: string }>;
  /** 'down' drops connections, '500' answers HTTP 500, 'hang' never answers; `times` limits it to the next N requests. */
  fail(mode: FailMode, times?: number): void;
  /** The watch streams (`/api/v1/workflow-events/{ns}`): drop, stall or garble them. */
  watch: Pick<WatchHub, 'open' | 'drop' | 'stall' | 'garble'>;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const FINISHED = new Set(['Succeeded', 'Failed', 'Error']);

class ArgoFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (name: string) => new ArgoFailure(404, 5, `workflows.argoproj.io "${name}" not found`);

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

function podNameOf(wf: string, nodeName: string, template: string): string {
  return nodeName === wf ? wf : `${wf}-${template}-${fnv1a32(nodeName)}`;
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Starts the stand-in on 127.0.0.1 (port from the OS); `tls` serves https with that key and certificate. */
export async function startArgoStandin(
  options: {
    token?: string;
    tls?: { key: string; cert: string };
    /** Called with each created workflow, e.g. to move it along with `setStatus` as a controller would. */
    onSubmit?: (workflow: Workflow) => void;
    /** Called with a workflow once resumed, e.g. to let it finish as the controller would. */
    onResume?: (workflow: Workflow) => void;
  } = {},
): Promise<ArgoStandin> {
  const workflows = new Map<string, Workflow>();
  const logs = new Map<string, LogLine[]>();
  const followers = new Map<string, Set<{ res: http.ServerResponse; podName?: string }>>();
  const requests: ArgoStandin['requests'] = [];
  let failMode: FailMode = null;
  let failTimes = Infinity;
  const hub = createWatchHub();

  function linesOf(wf: Workflow): LogLine[] {
    const name = wf.metadata.name!;
    const configured = logs.get(name);
    if (configured) return configured;
    return Object.values(wf.status?.nodes ?? {})
      .filter((n) => n.type === 'Pod')
      .map((n) => ({ podName: podNameOf(name, n.name, n.templateName ?? ''), content: `${n.displayName}: done` }));
  }

  function endFollowers(name: string): void {
    for (const f of followers.get(name) ?? []) f.res.end();
    followers.delete(name);
  }

  function workflowIn(namespace: string, name: string): Workflow {
    const wf = workflows.get(name);
    if (!wf || wf.metadata.namespace !== namespace) throw notFound(name);
    return wf;
  }

  function create(namespace: string, body: Buffer): Workflow {
    let request: { workflow?: Workflow };
    try {
      request = JSON.parse(body.toString('utf8')) as { workflow?: Workflow };
    } catch (err) {
      throw new ArgoFailure(400, 3, `invalid character in request body: ${(err as Error).message}`);
    }
    const wf = request.workflow;
    if (!wf) throw new ArgoFailure(400, 3, 'workflow is required');
    const validation = validateWorkflowManifest(wf);
    if (!validation.valid) throw new ArgoFailure(400, 3, validation.errors.join('; '));
    const spec = wf.spec as { entrypoint?: string; templates?: Array<{ name?: string }>; workflowTemplateRef?: unknown };
    if (!spec.workflowTemplateRef) {
      if (!spec.entrypoint) throw new ArgoFailure(400, 3, 'spec.entrypoint is required');
      if (!spec.templates?.some((t) => t.name === spec.entrypoint)) {
        throw new ArgoFailure(400, 3, `spec.entrypoint template '${spec.entrypoint}' undefined`);
      }
    }
    let name = wf.metadata.name;
    if (!name) {
      const prefix = wf.metadata.generateName;
      if (!prefix) throw new ArgoFailure(400, 3, 'metadata.name: Required value: name or generateName is required');
      do {
        name = prefix.slice(0, 58) + Array.from({ length: 5 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
      } while (workflows.has(name));
    } else if (workflows.has(name)) {
      throw new ArgoFailure(409, 6, `workflows.argoproj.io "${name}" already exists`);
    }
    const created: Workflow = {
      ...wf,
      metadata: { ...wf.metadata, name, namespace, uid: randomUUID(), creationTimestamp: timestamp() },
      status: { phase: 'Pending' },
    };
    workflows.set(name, created);
    hub.record('ADDED', created);
    // Answer with the workflow as created, before any controller-like hook moves it on, as Argo does.
    const answer = structuredClone(created);
    options.onSubmit?.(created);
    return answer;
  }

  function stop(wf: Workflow): Workflow {
    const name = wf.metadata.name!;
    if (FINISHED.has(wf.status?.phase ?? '')) {
      // Argo's StopWorkflow error, wrapped by the server as codes.Internal.
      throw new ArgoFailure(500, 13, `cannot shutdown a completed workflow: workflow: "${name}", namespace: "${wf.metadata.namespace}"`);
    }
    const nodes = Object.fromEntries(
      Object.entries(wf.status?.nodes ?? {}).map(([id, n]) => [
        id,
        FINISHED.has(n.phase) || n.phase === 'Skipped' || n.phase === 'Omitted'
          ? n
          : { ...n, phase: 'Failed' as const, message: 'workflow shutdown with strategy:  Stop', finishedAt: timestamp() },
      ]),
    );
    wf.spec = { ...wf.spec, shutdown: 'Stop' };
    wf.status = { ...wf.status, phase: 'Failed', message: "Stopped with strategy 'Stop'", finishedAt: timestamp(), nodes };
    endFollowers(name);
    hub.record('MODIFIED', wf);
    return wf;
  }

  type Param = { name: string; value?: string; valueFrom?: { supplied?: object; default?: string } };

  /** util.go:updateSuspendedNode: sets supplied outputs of the active Suspend nodes the selector (`id=X`) names. */
  function setOutputs(wf: Workflow, req: { nodeFieldSelector?: string; outputParameters?: string }): Workflow {
    const id = /^id=(.+)$/.exec(req.nodeFieldSelector ?? '')?.[1];
    const values = JSON.parse(req.outputParameters || '{}') as Record<string, string>;
    let hit = false;
    for (const node of Object.values(wf.status?.nodes ?? {})) {
      if (node.type !== 'Suspend' || node.phase !== 'Running' || (id && node.id !== id)) continue;
      hit = true;
      for (const [name, value] of Object.entries(values)) {
        const param = node.outputs?.parameters?.find((p) => p.name === name) as Param | undefined;
        if (!param) throw new ArgoFailure(500, 13, `node is not expecting output parameter '${name}'`);
        if (!param.valueFrom?.supplied)
          throw new ArgoFailure(
            500,
            13,
            `cannot set output parameter '${name}' because it does not use valueFrom.raw or it was already set`,
          );
        param.value = value;
        delete param.valueFrom;
      }
    }
    if (!hit)
      throw new ArgoFailure(
        500,
        13,
        `currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: ${req.nodeFieldSelector ?? ''}`,
      );
    hub.record('MODIFIED', wf);
    return wf;
  }

  /** util.go:SuspendWorkflow: sets spec.suspend; a finished workflow is refused (wrapped as codes.Internal). */
  function suspend(wf: Workflow): Workflow {
    if (FINISHED.has(wf.status?.phase ?? '')) throw new ArgoFailure(500, 13, 'cannot suspend completed workflows');
    wf.spec = { ...wf.spec, suspend: true };
    hub.record('MODIFIED', wf);
    return wf;
  }

  /** util.go:ResumeWorkflow: clears spec.suspend; active Suspend nodes succeed, supplied outputs taking defaults. */
  function resume(wf: Workflow): Workflow {
    const { suspend: _suspend, ...spec } = wf.spec as Workflow['spec'] & { suspend?: boolean };
    wf.spec = spec;
    for (const node of Object.values(wf.status?.nodes ?? {})) {
      if (node.type !== 'Suspend' || node.phase !== 'Running') continue;
      for (const p of (node.outputs?.parameters ?? []) as Param[]) {
        if (!p.valueFrom?.supplied) continue;
        if (p.valueFrom.default === undefined)
          throw new ArgoFailure(500, 13, `raw output parameter '${p.name}' has not been set and does not have a default value`);
        p.value = p.valueFrom.default;
        delete p.valueFrom;
      }
      node.phase = 'Succeeded';
      node.finishedAt = timestamp();
    }
    hub.record('MODIFIED', wf);
    options.onResume?.(wf);
    return wf;
  }

  function streamLogs(res: http.ServerResponse, wf: Workflow, query: URLSearchParams): void {
    const name = wf.metadata.name!;
    const podName = query.get('podName') || undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    for (const line of linesOf(wf)) {
      if (!podName || line.podName === podName) res.write(`${JSON.stringify({ result: line })}\n`);
    }
    if (query.get('logOptions.follow') !== 'true' || FINISHED.has(wf.status?.phase ?? '')) {
      res.end();
      return;
    }
    const follower = { res, podName };
    if (!followers.has(name)) followers.set(name, new Set());
    followers.get(name)!.add(follower);
    res.on('close', () => followers.get(name)?.delete(follower));
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): unknown {
    const method = req.method ?? 'GET';
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      throw new ArgoFailure(401, 16, 'token not valid. More info: https://argo-workflows.readthedocs.io/en/latest/faq/');
    }
    if (url.pathname === '/api/v1/version' && method === 'GET') {
      return {
        version: 'v3.7.0+standin',
        buildDate: '2026-01-01T00:00:00Z',
        gitCommit: 'standin',
        gitTag: 'v3.7.0',
        gitTreeState: 'clean',
        goVersion: 'go1.24',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    }
    const events = /^\/api\/v1\/workflow-events\/([^/]+)$/.exec(url.pathname);
    if (events && method === 'GET') {
      const namespace = decodeURIComponent(events[1]!);
      hub.serve(
        res,
        namespace,
        url.searchParams,
        [...workflows.values()].map((wf) => structuredClone(wf)),
      );
      return undefined;
    }
    const m = /^\/api\/v1\/workflows\/([^/]+)(?:\/([^/]+)(?:\/(log|stop|resume|suspend|set))?)?$/.exec(url.pathname);
    if (!m) throw new ArgoFailure(404, 5, `Not Found: ${url.pathname}`);
    const namespace = decodeURIComponent(m[1]!);
    const name = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const action = m[3];
    if (name === undefined && method === 'POST') return create(namespace, body);
    if (name === undefined && method === 'GET') {
      let matches: ReturnType<typeof parseLabelSelector>;
      try {
        matches = parseLabelSelector(url.searchParams.get('listOptions.labelSelector') ?? '');
      } catch (err) {
        throw new ArgoFailure(400, 3, (err as Error).message);
      }
      const items = [...workflows.values()].filter((wf) => wf.metadata.namespace === namespace && matches(wf.metadata.labels));
      // Argo (Go) encodes an empty list as null.
      return { metadata: { resourceVersion: hub.version() }, items: items.length > 0 ? items : null };
    }
    if (name === undefined) throw new ArgoFailure(405, 12, 'Method Not Allowed');
    const wf = workflowIn(namespace, name);
    if (action === undefined && method === 'GET') return wf;
    if (action === undefined && method === 'DELETE') {
      workflows.delete(name);
      logs.delete(name);
      endFollowers(name);
      hub.record('DELETED', wf);
      return {};
    }
    if (action === 'stop' && method === 'PUT') return stop(wf);
    if (action === 'set' && method === 'PUT') return setOutputs(wf, JSON.parse(body.toString('utf8') || '{}') as Record<string, string>);
    if (action === 'resume' && method === 'PUT') return resume(wf);
    if (action === 'suspend' && method === 'PUT') return suspend(wf);
    if (action === 'log' && method === 'GET') {
      streamLogs(res, wf, url.searchParams);
      return undefined;
    }
    throw new ArgoFailure(405, 12, 'Method Not Allowed');
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, authorization: req.headers.authorization });
    const mode = failMode;
    if (mode && failTimes-- <= 1) failMode = null;
    if (mode === 'down') return void req.socket.destroy();
    if (mode === 'hang') return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        if (mode === '500') throw new ArgoFailure(500, 13, 'etcdserver: request timed out (injected by the stand-in)');
        const answer = route(req, res, url, Buffer.concat(chunks));
        if (answer !== undefined) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      } catch (err) {
        const failure = err instanceof ArgoFailure ? err : new ArgoFailure(500, 13, String(err));
        res.writeHead(failure.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: failure.code, message: failure.message, details: [] }));
      }
    });
  };

  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    workflows,
    requests,
    setStatus(name, status) {
      const wf = workflows.get(name);
      if (!wf) throw new Error(`stand-in has no workflow "${name}"`);
      wf.status = { ...status };
      hub.record('MODIFIED', wf);
      if (FINISHED.has(status.phase ?? '')) endFollowers(name);
    },
    setLogs(name, lines) {
      logs.set(name, [...lines]);
    },
    appendLog(name, line) {
      const wf = workflows.get(name);
      if (!logs.has(name)) logs.set(name, wf ? linesOf(wf) : []);
      logs.get(name)!.push(line);
      for (const f of followers.get(name) ?? []) {
        if (!f.podName || f.podName === line.podName) f.res.write(`${JSON.stringify({ result: line })}\n`);
      }
    },
    watch: {
      get open() {
        return hub.open;
      },
      drop: () => hub.drop(),
      stall: (on) => hub.stall(on),
      garble: (line) => hub.garble(line),
    },
    fail(mode, times = Infinity) {
      failMode = mode;
      failTimes = times;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        hub.close();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
