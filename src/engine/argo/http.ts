/**
 * Requests to the Argo Server REST API over node:http(s) (fetch in Node 20 cannot
 * take a TLS agent). Every call has a timeout; idempotent calls are retried with a
 * small backoff on connection errors and 5xx; POST never is, because a retried
 * create could start the workflow twice.
 */
import http from 'node:http';
import https from 'node:https';
import { EngineUnavailableError } from '../errors.ts';
import { ArgoApiError } from './errors.ts';

interface ArgoHttpOptions {
  serviceUrl: string;
  token?: string;
  insecureSkipVerify?: boolean;
  timeoutMs: number;
  retries: number;
}

interface ArgoCall {
  /** What the call does, for error messages: `get workflow "x"`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** A 5xx this predicate accepts is final: thrown as ArgoApiError at once, never retried. */
  permanent?: (error: ArgoApiError) => boolean;
}

export interface ArgoHttp {
  /** Sends a call and parses the JSON answer; non-2xx answers below 500 throw ArgoApiError. */
  json<T>(call: ArgoCall): Promise<T>;
  /** Sends a call and hands back the open response (for streamed logs); the timeout covers only the headers. */
  stream(call: ArgoCall): Promise<http.IncomingMessage>;
  close(): void;
}

/** The whole body as text; a body still unfinished after `timeoutMs` is cut off with an error. */
async function readBody(response: http.IncomingMessage, timeoutMs: number): Promise<string> {
  const timer = setTimeout(() => response.destroy(new Error(`body not complete within ${timeoutMs} ms`)), timeoutMs);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    clearTimeout(timer);
  }
}

/** Argo's gRPC-gateway error body `{code, message}`, or the raw text when it is not one. */
function parseError(text: string): { code: number | undefined; message: string } {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.message === 'string') return { code: typeof body.code === 'number' ? body.code : undefined, message: body.message };
  } catch {
    // Not JSON: a proxy or load balancer answered; show its text.
  }
  return { code: undefined, message: text.trim().slice(0, 500) || '(empty body)' };
}

/** The Authorization header value; ARGO_TOKEN often already carries the `Bearer ` prefix. */
function authorization(token: string): string {
  return /^bearer /i.test(token) ? token : `Bearer ${token}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The call got no HTTP answer; `stale` when a reused keep-alive socket turned out closed. */
class Unreachable extends Error {
  constructor(
    message: string,
    readonly stale = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The call's URL under the server's base (origin and path prefix). */
function callUrl(base: string, call: ArgoCall): URL {
  const url = new URL(base + call.path);
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** One request; resolves with the response once its headers arrive, rejects with Unreachable (stale: a kept-alive socket the server had closed). */
function requestOnce(
  transport: typeof http | typeof https,
  url: URL,
  init: { method: string; headers: Record<string, string>; agent: http.Agent },
  payload: string | undefined,
  timeoutMs: number,
): Promise<http.IncomingMessage> {
  const headers = { ...init.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { ...init, headers }, (response) => {
      clearTimeout(timer);
      resolve(response);
    });
    const timer = setTimeout(() => req.destroy(new Unreachable(`did not answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err instanceof Unreachable) reject(err);
      else reject(new Unreachable(`is unreachable: ${err.message}`, req.reusedSocket && err.code === 'ECONNRESET', { cause: err }));
    });
    req.end(payload);
  });
}

/** A 5xx answer: EngineUnavailableError to retry, or the ArgoApiError itself when the call says it is permanent. */
async function serverFailure(serviceUrl: string, call: ArgoCall, response: http.IncomingMessage, timeoutMs: number): Promise<Error> {
  const status = response.statusCode ?? 0;
  const parsed = parseError(await readBody(response, timeoutMs).catch((err: Error) => err.message));
  const apiError = new ArgoApiError(serviceUrl, call.operation, status, parsed.code, parsed.message);
  if (call.permanent?.(apiError)) throw apiError;
  return new EngineUnavailableError(`Argo Server at ${serviceUrl} failed to ${call.operation}: HTTP ${status}: ${parsed.message}`, {
    cause: apiError,
  });
}

/** A 3xx/4xx answer as an error: ArgoApiError, or EngineUnavailableError when our own credentials are refused. */
async function refusal(serviceUrl: string, call: ArgoCall, response: http.IncomingMessage, timeoutMs: number): Promise<never> {
  const status = response.statusCode ?? 0;
  const parsed = parseError(await readBody(response, timeoutMs).catch((err: Error) => err.message));
  if (status === 401 || status === 403) {
    // Our credentials are wrong, not the user's request: the engine is unusable until an operator fixes ARGO_TOKEN.
    throw new EngineUnavailableError(
      `Argo Server at ${serviceUrl} refused our credentials (HTTP ${status}) to ${call.operation}: ${parsed.message}`,
      { cause: new ArgoApiError(serviceUrl, call.operation, status, parsed.code, parsed.message) },
    );
  }
  throw new ArgoApiError(serviceUrl, call.operation, status, parsed.code, parsed.message);
}

/** A successful answer's JSON body; an answer broken off or not JSON makes the engine unavailable. */
async function jsonAnswer<T>(serviceUrl: string, call: ArgoCall, response: http.IncomingMessage, timeoutMs: number): Promise<T> {
  let text: string;
  try {
    text = await readBody(response, timeoutMs);
  } catch (err) {
    throw new EngineUnavailableError(`Argo Server at ${serviceUrl} broke off its answer (${call.operation}): ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return (text ? JSON.parse(text) : {}) as T;
  } catch (err) {
    throw new EngineUnavailableError(`Argo Server at ${serviceUrl} answered non-JSON to ${call.operation}: ${text.slice(0, 200)}`, {
      cause: err,
    });
  }
}

/** Builds the request layer for one Argo Server. */
export function createArgoHttp(options: ArgoHttpOptions): ArgoHttp {
  const base = new URL(options.serviceUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const isHttps = base.protocol === 'https:';
  // POSTs get a fresh connection each: a kept-alive socket the server has just closed would fail a create
  // that can never be safely resent.
  const [reusing, fresh] = [true, false].map((keepAlive) =>
    isHttps ? new https.Agent({ keepAlive, rejectUnauthorized: !options.insecureSkipVerify }) : new http.Agent({ keepAlive }),
  ) as [http.Agent, http.Agent];
  const serviceUrl = options.serviceUrl.replace(/\/+$/, '');

  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(options.token && { authorization: authorization(options.token) }),
  };
  const sendOnce = (call: ArgoCall, payload: string | undefined) =>
    requestOnce(
      isHttps ? https : http,
      callUrl(base.origin + basePath, call),
      { method: call.method, headers, agent: call.method === 'POST' ? fresh : reusing },
      payload,
      options.timeoutMs,
    );

  async function send(call: ArgoCall): Promise<http.IncomingMessage> {
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const retries = call.method === 'POST' ? 0 : options.retries;
    for (let attempt = 0, staleResends = 0; ; attempt++) {
      let failure: Error;
      try {
        const response = await sendOnce(call, payload);
        if ((response.statusCode ?? 0) < 500) return response;
        failure = await serverFailure(serviceUrl, call, response, options.timeoutMs);
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        // A kept-alive socket the server had just closed: the request never reached it, so resend once for free.
        if (err.stale && staleResends++ < 1) {
          attempt--;
          continue;
        }
        failure = new EngineUnavailableError(`Argo Server at ${serviceUrl} ${err.message} (${call.operation})`, {
          cause: err.cause ?? err,
        });
      }
      if (attempt >= retries) throw failure;
      await sleep(100 * 2 ** attempt);
    }
  }

  /** The answer of a call the server accepted (2xx); anything else as its error. */
  async function accepted(call: ArgoCall): Promise<http.IncomingMessage> {
    const response = await send(call);
    if ((response.statusCode ?? 0) >= 300) return refusal(serviceUrl, call, response, options.timeoutMs);
    return response;
  }

  return {
    async json<T>(call: ArgoCall): Promise<T> {
      return jsonAnswer<T>(serviceUrl, call, await accepted(call), options.timeoutMs);
    },
    stream: accepted,

    close() {
      reusing.destroy();
      fresh.destroy();
    },
  };
}
