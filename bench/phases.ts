/**
 * One function per service set-up: start it, measure what the report needs
 * from it, stop it (always, even when a measurement fails).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { authenticatedThroughput, userUnderTokenLoad, type LoadSettings, type TokenLoadFigure } from './load.ts';
import { distIsFresh, ensureFreshDist, type ServiceRunner } from './dist.ts';
import { measurePageLoad, measureSseFanout, seedRuns, type PageLoadFigure, type SseFanoutFigure } from './page.ts';
import { startPostgres } from './postgres.ts';
import type { ServiceFigures } from './report.ts';
import { login, startServiceProcess, waitForRun, type ServiceProcess } from './service.ts';
import { measureSubmit, prepareRecipeUploads, submitUpload, type LatencyFigure } from './submit.ts';
import { startArgoStandin } from '../test/standins/argo-server.ts';
import { startS3Standin } from '../test/standins/s3-server.ts';

export interface PhaseSettings extends LoadSettings {
  tokenConnections: number;
  /** Where each phase makes its data dirs; removed by the caller. */
  root: string;
  /** URL of a small file the benchmark recipes download. */
  inputUrl: string;
  submissions: number;
  progress(line: string): void;
  /** Every service start, and what bin/ogdc-runner.js ran: the report says when a figure is not the compiled service's. */
  launches: { label: string; runner: ServiceRunner }[];
}

const SETTLE_MS = 2000;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** Serves one small file on loopback for the recipes' `url` input. */
export async function startInputServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/data/input.txt' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/data/input.txt' ? 'benchmark input\n' : 'not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/data/input.txt`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Runs `fn` on a started service process; notes in `settings.launches` whether bin ran it from dist/ or from the sources. */
export async function withService<T>(
  settings: PhaseSettings,
  label: string,
  dataDir: string,
  env: Record<string, string>,
  fn: (s: ServiceProcess) => Promise<T>,
): Promise<T> {
  const { service, runner } = await launchCompiled(settings, label, dataDir, env);
  settings.launches.push({ label, runner });
  try {
    return await fn(service);
  } finally {
    await service.stop();
  }
}

/**
 * Starts the service on a fresh dist/. dist/ still fresh once the service is
 * ready means bin saw it fresh too (mtimes only grow); otherwise someone
 * edited src/ in between, and the start is retried after a rebuild.
 */
async function launchCompiled(
  settings: PhaseSettings,
  label: string,
  dataDir: string,
  env: Record<string, string>,
): Promise<{ service: ServiceProcess; runner: ServiceRunner }> {
  for (let attempt = 1; ; attempt++) {
    await ensureFreshDist(settings.progress);
    const service = await startServiceProcess(label, dataDir, env);
    if (distIsFresh()) return { service, runner: 'dist' };
    if (attempt === 3) {
      settings.progress(`${label}: src/ kept changing, measuring the tsx-run sources`);
      return { service, runner: 'sources' };
    }
    await service.stop();
  }
}

/** Submits one recipe and waits for it, so `/status` has a finished run to report and the engine is idle. */
async function finishedRun(s: ServiceProcess, token: string, settings: PhaseSettings, prefix: string): Promise<string> {
  const [body] = await prepareRecipeUploads(prefix, 1, settings.inputUrl);
  const name = await submitUpload(s.url, token, body!);
  await waitForRun(s.url, token, name);
  return name;
}

async function httpFigures(
  s: ServiceProcess,
  token: string,
  workflow: string,
  settings: PhaseSettings,
): Promise<Pick<ServiceFigures, 'user' | 'status'>> {
  const user = await authenticatedThroughput(`${s.url}/user`, token, settings);
  const status = await authenticatedThroughput(`${s.url}/status/${workflow}`, token, settings);
  return { user, status };
}

/** The embedded service (PGlite, local engine): memory, HTTP figures, /token load, local /submit; then its restart memory. */
export async function pglitePhase(
  settings: PhaseSettings,
): Promise<{ figures: ServiceFigures; tokenLoad: TokenLoadFigure; submitLocal: LatencyFigure }> {
  const dataDir = path.join(settings.root, 'service-pglite');
  const first = await withService(settings, 'service on PGlite', dataDir, {}, async (s) => {
    await settle();
    const idleRssBytes = await s.rssBytes();
    settings.progress(`PGlite service idle: ${(idleRssBytes / 2 ** 20).toFixed(0)} MB; measuring /user and /status`);
    const token = await login(s.url);
    const workflow = await finishedRun(s, token, settings, 'Bench status pglite');
    const httpResults = await httpFigures(s, token, workflow, settings);
    settings.progress('measuring /user latency while /token is under load');
    const tokenLoad = await userUnderTokenLoad(s.url, token, settings, settings.tokenConnections);
    settings.progress(`measuring /submit on the local engine (${settings.submissions} uploads)`);
    const bodies = await prepareRecipeUploads('Bench local submit', settings.submissions, settings.inputUrl);
    const { workflows, ...submitLocal } = await measureSubmit(s.url, token, bodies);
    // Let the submitted runs finish so the next phase does not share the CPU with them.
    for (const name of workflows) await waitForRun(s.url, token, name, 120_000);
    return { idleRssBytes, ...httpResults, tokenLoad, submitLocal };
  });
  const restartRssBytes = await withService(settings, 'service on PGlite (restart)', dataDir, {}, async (s) => {
    await settle();
    return s.rssBytes();
  });
  const { tokenLoad, submitLocal, ...rest } = first;
  return { figures: { database: 'pglite', ...rest, restartRssBytes }, tokenLoad, submitLocal };
}

/** `/user` throughput of the embedded service logging at warn instead of info. */
export async function warnLogPhase(settings: PhaseSettings) {
  return withService(
    settings,
    'service on PGlite, warn logging',
    path.join(settings.root, 'service-warn'),
    { OGDC_LOG_LEVEL: 'warn' },
    async (s) => {
      const token = await login(s.url);
      return authenticatedThroughput(`${s.url}/user`, token, settings);
    },
  );
}

/** The service on PostgreSQL (local engine): idle memory and HTTP figures; `unavailable` when no server can be had. */
export async function postgresPhase(settings: PhaseSettings): Promise<ServiceFigures | { unavailable: string }> {
  const pg = await startPostgres();
  if ('unavailable' in pg) return pg;
  settings.progress(`PostgreSQL: ${pg.origin}`);
  try {
    return await withService(settings, 'service on PostgreSQL', path.join(settings.root, 'service-postgres'), pg.env, async (s) => {
      await settle();
      const idleRssBytes = await s.rssBytes();
      settings.progress(`PostgreSQL service idle: ${(idleRssBytes / 2 ** 20).toFixed(0)} MB; measuring /user and /status`);
      const token = await login(s.url);
      const workflow = await finishedRun(s, token, settings, 'Bench status postgres');
      return { database: 'postgres' as const, idleRssBytes, ...(await httpFigures(s, token, workflow, settings)) };
    });
  } finally {
    await pg.stop();
  }
}

/** `/submit` latency against the Argo Server stand-in (with the S3 stand-in as artifact store), embedded database. */
export async function argoSubmitPhase(settings: PhaseSettings): Promise<LatencyFigure> {
  const s3Credentials = { accessKeyId: 'bench-access-key', secretAccessKey: 'bench-secret-key', bucket: 'argo-workflows' };
  const argo = await startArgoStandin({
    // Finish each workflow at once, as a fast controller would, so runs never pile up "in progress".
    onSubmit: (wf) => setImmediate(() => argo.setStatus(wf.metadata.name!, { phase: 'Succeeded', progress: '1/1' })),
  });
  const s3 = await startS3Standin(s3Credentials);
  try {
    const env = {
      ARGO_WORKFLOWS_SERVICE_URL: argo.url,
      S3_SECRET_KEY_ID: s3Credentials.accessKeyId,
      S3_SECRET_KEY_KEY: s3Credentials.secretAccessKey,
      INTERNAL_S3_ENDPOINT_URL: s3.url,
    };
    return await withService(settings, 'service with the Argo stand-in', path.join(settings.root, 'service-argo'), env, async (s) => {
      const token = await login(s.url);
      const bodies = await prepareRecipeUploads('Bench argo submit', settings.submissions, settings.inputUrl);
      const { workflows: _submitted, ...latency } = await measureSubmit(s.url, token, bodies);
      return latency;
    });
  } finally {
    await argo.close();
    await s3.close();
  }
}

/** The web page: first load of /ui/ with 20 runs listed, and one run change delivered to `streams` event streams. */
export async function pagePhase(
  settings: PhaseSettings,
  streams: number,
): Promise<{ load: PageLoadFigure | { unavailable: string }; sse: SseFanoutFigure }> {
  const dataDir = path.join(settings.root, 'service-page');
  return withService(settings, 'service for the web page', dataDir, {}, async (s) => {
    await seedRuns(s, settings.inputUrl, 20);
    await settle();
    settings.progress('first loads of /ui/ in Chromium');
    const load = await measurePageLoad(s, 5);
    settings.progress(`one run change to ${streams} event streams`);
    const sse = await measureSseFanout(s, settings.inputUrl, streams);
    return { load, sse };
  });
}
