/** The HTTP load phases, each driven by wrk from its own process. */
import { runWrk, type WrkResult } from './wrk.ts';
import { UnexpectedResponseError } from './errors.ts';
import { ADMIN_PASSWORD } from './service.ts';

export interface LoadSettings {
  durationSeconds: number;
  /** Concurrent connections of the throughput runs. */
  connections: number;
  /** Throughput runs per figure; the best one is kept. */
  repeats: number;
}

interface TokenLoadRound {
  /** `/user` with one sequential client and nothing else running. */
  quiet: WrkResult;
  /** The same client while another hammers `/token`. */
  loaded: WrkResult;
  token: WrkResult;
}

export interface TokenLoadFigure {
  /** The quiet run with the median p99 of the rounds. */
  quiet: WrkResult;
  /** The loaded run with the median p99 of the rounds. */
  loaded: WrkResult;
  /** `/token` of the round whose loaded run is the median. */
  token: WrkResult;
  /** Median loaded p99 over median quiet p99. */
  ratio: number;
  /** Every round, in order: p99s of single 5 s runs swing several-fold on this kind of machine. */
  rounds: TokenLoadRound[];
}

function ensureClean(what: string, result: WrkResult): WrkResult {
  if (result.errors > 0)
    throw new UnexpectedResponseError(
      `${what} under wrk`,
      0,
      `${result.errors} of ${result.requests} requests failed (${result.non2xx} non-2xx answers)`,
    );
  return result;
}

/**
 * Throughput and latency of a GET at full load: the best of `settings.repeats`
 * runs, because on a shared machine other work only ever lowers a run's figure.
 */
export async function throughput(url: string, settings: LoadSettings, token?: string): Promise<WrkResult> {
  let best: WrkResult | undefined;
  for (let i = 0; i < settings.repeats; i++) {
    const result = await runWrk({
      url,
      connections: settings.connections,
      durationSeconds: settings.durationSeconds,
      request: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    });
    ensureClean(`GET ${url}`, result);
    if (!best || result.requestsPerSecond > best.requestsPerSecond) best = result;
  }
  return best!;
}

/** Throughput and latency of an authenticated GET at full load (best of the repeats). */
export function authenticatedThroughput(url: string, token: string, settings: LoadSettings): Promise<WrkResult> {
  return throughput(url, settings, token);
}

/** The element with the median value (the upper median for an even count). */
function medianBy<T>(items: T[], value: (item: T) => number): T {
  return [...items].sort((a, b) => value(a) - value(b))[Math.floor(items.length / 2)]!;
}

/**
 * `/user` latency from one sequential client, quiet and then while another
 * wrk logs in over and over, in `rounds` alternating pairs; the figure is the
 * ratio of the median p99s. Hashing runs in a separate SCHED_IDLE process, so the
 * event loop keeps answering `/user`; a hash on the loop would show as a p99
 * of about one hash (~20 ms).
 */
export async function userUnderTokenLoad(
  baseUrl: string,
  token: string,
  settings: LoadSettings,
  tokenConnections: number,
  rounds = 3,
): Promise<TokenLoadFigure> {
  const user = (durationSeconds = settings.durationSeconds) =>
    runWrk({ url: `${baseUrl}/user`, connections: 1, durationSeconds, request: { headers: { Authorization: `Bearer ${token}` } } });
  // Warm-up: the first run after a start measures JIT compilation and cold caches.
  ensureClean('GET /user (warm-up)', await user(2));
  const all: TokenLoadRound[] = [];
  for (let i = 0; i < rounds; i++) {
    const quiet = ensureClean('GET /user (quiet)', await user());
    const tokenRun = runWrk({
      url: `${baseUrl}/token`,
      connections: tokenConnections,
      // Started first and running longer, so the whole /user run overlaps the load.
      durationSeconds: settings.durationSeconds + 2,
      request: {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD }).toString(),
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loaded = ensureClean('GET /user (under /token load)', await user());
    const tokenResult = ensureClean('POST /token', await tokenRun);
    all.push({ quiet, loaded, token: tokenResult });
  }
  const quiet = medianBy(all, (r) => r.quiet.p99Ms).quiet;
  const loadedRound = medianBy(all, (r) => r.loaded.p99Ms);
  return { quiet, loaded: loadedRound.loaded, token: loadedRound.token, ratio: loadedRound.loaded.p99Ms / quiet.p99Ms, rounds: all };
}
