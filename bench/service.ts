/**
 * The service under test as a real separate process (`ogdc-runner serve`),
 * plus a logged-in client for it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
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
  };
}

/** Starts `node bin/ogdc-runner.js serve --port 0` with `env` added to the base environment. */
export async function startServiceProcess(label: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bench-data-'));
  let proc: BenchProcess;
  try {
    proc = await startProcess({
      label,
      command: process.execPath,
      args: [path.join(REPO_ROOT, 'bin/ogdc-runner.js'), 'serve', '--host', '127.0.0.1', '--port', '0'],
      cwd: REPO_ROOT,
      env: { ...baseEnv(dataDir), ...env },
      readyPattern: /listening on (http:\/\/[^/\s]+)/,
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...proc,
    url: proc.ready,
    dataDir,
    async stop() {
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
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
