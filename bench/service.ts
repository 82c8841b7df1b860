/**
 * The service under test as a real separate process (`ogdc-runner serve`),
 * plus a logged-in client for it.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnexpectedResponseError } from './errors.ts';
import { startProcess, type BenchProcess } from './process.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ADMIN_PASSWORD = 'bench-admin-password';
export const JWT_SECRET = 'bench-jwt-secret-key-0123456789abcdef';

export interface ServiceProcess extends BenchProcess {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
}

/** The environment every benchmarked service shares: its own data dir, known secrets, no /token throttling. */
function baseEnv(dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    OGDC_DATA_DIR: dataDir,
    OGDC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    OGDC_JWT_SECRET_KEY: JWT_SECRET,
    // The token-load phase logs in thousands of times from one client.
    OGDC_TOKEN_RATE_LIMIT_PER_CLIENT: '10000000',
    OGDC_TOKEN_RATE_LIMIT_PER_USERNAME: '10000000',
    // The recipes' inputs come from the bench's own server on 127.0.0.1.
    OGDC_ALLOW_PRIVATE_SOURCES: 'true',
  };
}

/**
 * Starts `node bin/ogdc-runner.js serve --port 0` on `dataDir` (owned by the
 * caller, so a second start on it measures a restart), with `env` added to the
 * base environment.
 */
export async function startServiceProcess(label: string, dataDir: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const proc = await startProcess({
    label,
    command: process.execPath,
    args: [path.join(REPO_ROOT, 'bin/ogdc-runner.js'), 'serve', '--host', '127.0.0.1', '--port', '0'],
    cwd: REPO_ROOT,
    env: { ...baseEnv(dataDir), ...env },
    readyPattern: /listening on (http:\/\/[^/\s]+)/,
  });
  return { ...proc, url: proc.ready, dataDir };
}

/** Logs in through `POST /token` and returns the bearer token. */
export async function login(url: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  const text = await res.text();
  if (res.status !== 200) throw new UnexpectedResponseError(`POST ${url}/token`, res.status, text);
  return (JSON.parse(text) as { access_token: string }).access_token;
}

/** GET with a bearer token; throws unless 200. */
export async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new UnexpectedResponseError(`GET ${url}`, res.status, text);
  return JSON.parse(text) as T;
}

const FINISHED = new Set(['Succeeded', 'Failed', 'Error']);

/** Polls `/status/{name}` until the run has finished; resolves with its phase. */
export async function waitForRun(url: string, token: string, name: string, timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await getJson<{ status: string | null }>(`${url}/status/${name}`, token);
    if (status && FINISHED.has(status)) return status;
    if (Date.now() > until) throw new UnexpectedResponseError(`GET ${url}/status/${name}`, 200, `still ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
