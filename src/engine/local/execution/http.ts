/**
 * `http` templates, as Argo's agent runs them (workflow/executor/agent.go:executeHTTPTemplate): one request from the
 * engine's process, the response body as `outputs.result`; success is a 2xx status, or `successCondition` over
 * `request` and `response` (statusCode, body, headers by canonical name → list of values). Redirects are followed
 * (at most 10, as Go's client); unless `allowPrivateHttp`, every hop's host must resolve to public addresses only,
 * checked on the address actually connected to.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { NodeStatus } from '../../types.ts';
import { isPrivateAddress } from '../../../recipe/sources/hosts.ts';
import { createNode, setPhase, type Killable, type Obj, type RunContext, type Template } from './context.ts';
import { evaluateExpression } from '../expressions/expr.ts';
import { ExpressionError } from '../errors.ts';

/** The most of a response body kept (Argo has no cap; the service must not be filled by one response). */
const HTTP_BODY_LIMIT = 16 * 1024 * 1024;
const MAX_REDIRECTS = 10;

interface HttpCall {
  nodeName: string;
  templateName: string;
  boundaryId?: string;
  inputs?: NodeStatus['inputs'];
  link(id: string): void;
}

class PrivateHostError extends Error {}

const privateMessage = (host: string, address: string) =>
  `host ${JSON.stringify(host)} (${address}) is a loopback, private or link-local address, which is not allowed (OGDC_ALLOW_PRIVATE_SOURCES)`;

/** A DNS lookup that fails for a host resolving to any private address. */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(new PrivateHostError(privateMessage(hostname, bad.address)), '', 0);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};

/** textproto.CanonicalMIMEHeaderKey: `content-type` → `Content-Type`. */
function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

interface Response {
  statusCode: number;
  headers: Record<string, string[]>;
  body: string;
}

/** Go's url.Error text for a failed request: `Get "URL": reason`. */
export function requestError(method: string, url: string, err: unknown, timedOut: boolean): string {
  return `${op(method)} "${url}": ${timedOut ? 'context deadline exceeded' : (err as Error).message}`;
}

/** Go's url.Error operation: `Get`, `Post`, … */
function op(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
}

/** One request; resolves with the response, its body not yet read. */
function requestOnce(
  url: URL,
  method: string,
  headers: Array<[string, string]>,
  body: Buffer,
  insecure: boolean,
  allowPrivate: boolean,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new Error(`unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`));
      return;
    }
    const bare = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowPrivate && isIP(bare) && isPrivateAddress(bare)) {
      reject(new PrivateHostError(privateMessage(bare, bare)));
      return;
    }
    const out: http.OutgoingHttpHeaders = {};
    for (const [k, v] of headers) {
      const prev = out[k];
      out[k] = prev === undefined ? v : ([] as string[]).concat(prev as string | string[], v);
    }
    if (body.length > 0) out['content-length'] = String(body.length);
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, {
      method,
      headers: out,
      signal,
      ...(allowPrivate ? {} : { lookup: publicLookup }),
      ...(url.protocol === 'https:' ? { rejectUnauthorized: !insecure } : {}),
    });
    req.on('error', reject);
    req.on('response', resolve);
    req.end(body);
  });
}

/** The whole body as text; fails past `limit` bytes. */
function readBody(res: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        res.destroy(new Error(`response body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Response headers by canonical name, each a list of values (Go's http.Header). */
function headersOf(res: http.IncomingMessage): Record<string, string[]> {
  const hs: Record<string, string[]> = {};
  for (let i = 0; i < res.rawHeaders.length; i += 2) (hs[canonicalHeader(res.rawHeaders[i]!)] ??= []).push(res.rawHeaders[i + 1]!);
  return hs;
}

/**
 * Sends the request, following redirects as Go's default client does (303 and 301/302 of a POST become GET);
 * unless `allowPrivate`, every hop's host must be public. Resolves with the final response, its body unread.
 */
export async function openUrl(
  spec: { url: string; method: string; headers: Array<[string, string]>; body: Buffer; insecure: boolean },
  allowPrivate: boolean,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  let url = new URL(spec.url);
  let method = spec.method;
  let body = spec.body;
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(url, method, spec.headers, body, spec.insecure, allowPrivate, signal);
    const status = res.statusCode ?? 0;
    if (![301, 302, 303, 307, 308].includes(status) || res.headers.location === undefined) return res;
    res.resume();
    if (hop + 1 >= MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
    url = new URL(res.headers.location, url);
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = Buffer.alloc(0);
    }
  }
}

/** Runs an `http` template: an HTTP node, Pending while the request is out (as Argo's node waits for its agent). */
export async function runHttp(ctx: RunContext, call: HttpCall, tmpl: Template): Promise<NodeStatus> {
  const node = createNode(ctx, {
    name: call.nodeName,
    type: 'HTTP',
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Pending',
  });
  if (call.inputs && (call.inputs.parameters?.length || call.inputs.artifacts?.length)) node.inputs = call.inputs;
  call.link(node.id);
  const spec = tmpl.http as Obj;
  const url = String(spec.url ?? '');
  const method = String(spec.method ?? '') || 'GET';
  const headers: Array<[string, string]> = ((spec.headers as Obj[] | undefined) ?? []).map((h) => [String(h.name), String(h.value ?? '')]);
  const bodyFrom = spec.bodyFrom as Obj | undefined;
  const body = bodyFrom ? Buffer.from(String(bodyFrom.bytes ?? ''), 'base64') : Buffer.from(String(spec.body ?? ''), 'utf8');
  const timeout = spec.timeoutSeconds === undefined ? undefined : Number(spec.timeoutSeconds);
  const abort = new AbortController();
  let stopMessage: string | undefined;
  const killer: Killable = {
    kill(message) {
      stopMessage = message;
      abort.abort();
    },
  };
  let timedOut = false;
  const timer = timeout !== undefined && timeout >= 0 ? setTimeout(() => ((timedOut = true), abort.abort()), timeout * 1000) : undefined;
  ctx.running.add(killer);
  if (ctx.stopped) killer.kill(ctx.stopped.nodeMessage);
  let response: Response;
  try {
    const res = await openUrl(
      { url, method, headers, body, insecure: spec.insecureSkipVerify === true },
      ctx.allowPrivateHttp,
      abort.signal,
    );
    response = { statusCode: res.statusCode ?? 0, headers: headersOf(res), body: await readBody(res, HTTP_BODY_LIMIT) };
  } catch (err) {
    setPhase(ctx, node, 'Failed', stopMessage ?? requestError(method, url, err, timedOut));
    return node;
  } finally {
    if (timer) clearTimeout(timer);
    ctx.running.delete(killer);
  }
  node.outputs = { result: response.body };
  judge(ctx, node, spec, { method, url, headers, body }, response);
  return node;
}

/** The node's phase from the answer: a 2xx status, or the template's `successCondition` over request and response. */
function judge(
  ctx: RunContext,
  node: NodeStatus,
  spec: Obj,
  req: { method: string; url: string; headers: Array<[string, string]>; body: Buffer },
  response: Response,
): void {
  const { method, url, headers, body } = req;
  const condition = typeof spec.successCondition === 'string' ? spec.successCondition : '';
  if (!condition) {
    if (response.statusCode >= 200 && response.statusCode < 300) setPhase(ctx, node, 'Succeeded');
    else setPhase(ctx, node, 'Failed', `received non-2xx response code: ${response.statusCode}`);
    return;
  }
  const requestHeaders: Record<string, string[]> = {};
  for (const [k, v] of headers) (requestHeaders[canonicalHeader(k)] ??= []).push(v);
  const env = {
    request: {
      method,
      url,
      body: String(spec.body ?? ''),
      bodyBytes: [...body],
      headers: requestHeaders,
    },
    response: { statusCode: response.statusCode, body: response.body, headers: response.headers },
  };
  let ok: unknown;
  try {
    ok = evaluateExpression(condition, env);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    setPhase(ctx, node, 'Failed', err.message);
    return;
  }
  if (typeof ok !== 'boolean') setPhase(ctx, node, 'Failed', `unable to cast expression result to bool`);
  else if (ok) setPhase(ctx, node, 'Succeeded');
  else setPhase(ctx, node, 'Failed', `successCondition '${condition}' evaluated false`);
}
