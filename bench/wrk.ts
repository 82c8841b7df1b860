/**
 * Runs wrk (a separate process, so the load generator never shares the
 * service's event loop) with a generated Lua script that sets the method,
 * headers and body and prints a one-line JSON summary we parse.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WrkError } from './errors.ts';

const WRK = '/usr/bin/wrk';

interface WrkRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Paths requested in turn (each connection's thread cycles through them) instead of the URL's own. */
  paths?: string[];
}

interface WrkOptions {
  /** Full URL of the measured route. */
  url: string;
  request?: WrkRequest;
  connections: number;
  threads?: number;
  durationSeconds: number;
}

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors plus non-2xx/3xx answers: a run with errors measured something else. */
  errors: number;
  non2xx: number;
}

const MARKER = 'WRK_JSON ';

// JSON string literals are valid Lua literals as long as they hold printable ASCII only.
function luaString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`wrk script values must be printable ASCII: ${JSON.stringify(value)}`);
  return JSON.stringify(value);
}

/** The Lua script for one request shape, ending with a `done` hook that prints the summary. */
function wrkScript(request: WrkRequest = {}): string {
  const lines = [`wrk.method = ${luaString(request.method ?? 'GET')}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  if (request.paths && request.paths.length > 0) {
    lines.push(
      `local paths = { ${request.paths.map(luaString).join(', ')} }`,
      'local next_path = 0',
      'request = function()',
      '  next_path = next_path % #paths + 1',
      '  return wrk.format(nil, paths[next_path])',
      'end',
    );
  }
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format("\\n${MARKER}{\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,\\"socket_errors\\":%d,\\"status_errors\\":%d}\\n",`,
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,',
    '    e.connect + e.read + e.write + e.timeout, e.status))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

/** Parses the summary line the script's `done` hook prints. */
function parseWrkOutput(url: string, output: string): WrkResult {
  const line = output.split('\n').find((l) => l.startsWith(MARKER));
  if (!line) throw new WrkError(url, 'printed no summary line', output);
  const raw = JSON.parse(line.slice(MARKER.length)) as Record<string, number>;
  const seconds = raw.duration_us! / 1e6;
  return {
    requests: raw.requests!,
    requestsPerSecond: raw.requests! / seconds,
    p50Ms: raw.p50_us! / 1000,
    p99Ms: raw.p99_us! / 1000,
    maxMs: raw.max_us! / 1000,
    errors: raw.socket_errors! + raw.status_errors!,
    non2xx: raw.status_errors!,
  };
}

/** Loads one URL for a bounded duration and returns throughput and latency. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bench-wrk-'));
  try {
    const script = path.join(dir, 'request.lua');
    await writeFile(script, wrkScript(options.request));
    const args = [
      `-t${options.threads ?? 1}`,
      `-c${options.connections}`,
      `-d${options.durationSeconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      options.url,
    ];
    const output = await new Promise<string>((resolve, reject) => {
      execFile(WRK, args, { timeout: (options.durationSeconds + 30) * 1000 }, (err, stdout, stderr) => {
        if (err) reject(new WrkError(options.url, `exited with ${err.message}`, `${stdout}${stderr}`, { cause: err }));
        else resolve(stdout);
      });
    });
    return parseWrkOutput(options.url, output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
