/**
 * Status by subscription, measured: the service on PostgreSQL with the Argo engine, in front of
 * the Argo Server stand-in holding running workflows of many nodes each. `/status` polled by many
 * clients (and by one) with the stand-in's request count meanwhile; `/runs` with 100,000 rows;
 * `/runs/{name}` of a workflow of 10,000 nodes, first view and repeated views.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '../src/config/index.ts';
import type { NodeStatus, Workflow } from '../src/engine/types.ts';
import { startArgoStandin } from '../test/standins/argo-server.ts';
import { startS3Standin } from '../test/standins/s3-server.ts';
import { UnexpectedResponseError } from './errors.ts';
import { withService, type PhaseSettings } from './phases.ts';
import { startPostgres } from './postgres.ts';
import { ADMIN_PASSWORD, getJson, JWT_SECRET, login } from './service.ts';
import { latencyFigure, prepareRecipeUploads, submitUpload, type LatencyFigure } from './submit.ts';
import { runWrk, type WrkResult } from './wrk.ts';

interface ScaleSettings {
  workflows: number;
  nodesPerWorkflow: number;
  pollers: number;
  runRows: number;
  detailNodes: number;
}

const SCALE: ScaleSettings = { workflows: 50, nodesPerWorkflow: 1000, pollers: 200, runRows: 100_000, detailNodes: 10_000 };

/** Requests the Argo Server stand-in received while one wrk run polled `/status`. */
interface ArgoLoad {
  pollers: number;
  status: WrkResult;
  argoRequests: number;
  argoPerMinute: number;
}

export interface ScaleFigures {
  settings: ScaleSettings;
  /** The service's safety-net list interval (ARGO_WATCH_RESYNC_MS, the default). */
  resyncMs: number;
  /** `/user` on the same service with as many connections as the pollers: the floor `/status` is held to. */
  user: WrkResult;
  /** One poller, then `pollers` of them, over the running workflows in turn. */
  polling: [ArgoLoad, ArgoLoad];
  /** `/runs?limit=50` from one sequential client (latency), and from `connections` at once (throughput). */
  runs: { rows: number; list: WrkResult; loaded: WrkResult };
  detail: { nodes: number; bytes: number; firstMs: number; repeated: LatencyFigure };
}

function nodes(workflow: string, count: number): Record<string, NodeStatus> {
  const out: Record<string, NodeStatus> = {
    [workflow]: { id: workflow, name: workflow, displayName: workflow, type: 'DAG', phase: 'Running', startedAt: '2026-01-01T00:00:00Z' },
  };
  for (let i = 0; i < count - 1; i++) {
    const id = `${workflow}-${1_000_000 + i}`;
    out[id] = {
      id,
      name: `${workflow}.process(${i}:item-${i})`,
      displayName: `process(${i}:item-${i})`,
      type: 'Pod',
      templateName: 'process',
      phase: i % 3 === 0 ? 'Succeeded' : 'Running',
      boundaryID: workflow,
      startedAt: '2026-01-01T00:00:00Z',
      inputs: { parameters: [{ name: 'item', value: `https://data.example.org/inputs/item-${i}.geojson` }] },
    };
  }
  return out;
}

function runningStatus(wf: Workflow, count: number) {
  return { phase: 'Running' as const, progress: `0/${count}`, startedAt: '2026-01-01T00:00:00Z', nodes: nodes(wf.metadata.name!, count) };
}

async function waitForPhase(url: string, token: string, name: string, phase: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await getJson<{ status: string | null }>(`${url}/status/${name}`, token);
    if (status === phase) return;
    if (Date.now() > until) throw new UnexpectedResponseError(`GET ${url}/status/${name}`, 200, `still ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The figures above; `unavailable` when no PostgreSQL can be had. */
export async function scalePhase(settings: PhaseSettings, scale: ScaleSettings = SCALE): Promise<ScaleFigures | { unavailable: string }> {
  const pgServer = await startPostgres();
  if ('unavailable' in pgServer) return pgServer;
  const s3Credentials = { accessKeyId: 'bench-access-key', secretAccessKey: 'bench-secret-key', bucket: 'argo-workflows' };
  // A controller that starts each workflow at once and keeps it running, with its nodes.
  let nodesOfNext = scale.nodesPerWorkflow;
  const argo = await startArgoStandin({
    onSubmit: (wf) => {
      const count = nodesOfNext;
      setImmediate(() => argo.setStatus(wf.metadata.name!, runningStatus(wf, count)));
    },
  });
  const s3 = await startS3Standin(s3Credentials);
  const db = new pg.Client({
    host: pgServer.env.OGDC_DB_HOST!.split(':')[0],
    port: Number(pgServer.env.OGDC_DB_HOST!.split(':')[1]),
    user: pgServer.env.OGDC_DB_USERNAME,
    password: pgServer.env.OGDC_DB_PASSWORD,
    database: pgServer.env.OGDC_DB_NAME,
  });
  try {
    const env = {
      ...pgServer.env,
      ARGO_WORKFLOWS_SERVICE_URL: argo.url,
      S3_SECRET_KEY_ID: s3Credentials.accessKeyId,
      S3_SECRET_KEY_KEY: s3Credentials.secretAccessKey,
      INTERNAL_S3_ENDPOINT_URL: s3.url,
    };
    return await withService(
      settings,
      'service on PostgreSQL with the Argo stand-in',
      path.join(settings.root, 'service-scale'),
      env,
      async (s) => {
        const token = await login(s.url);
        settings.progress(`scale: ${scale.workflows} running workflows of ${scale.nodesPerWorkflow} nodes on the Argo stand-in`);
        const bodies = await prepareRecipeUploads('Bench scale', scale.workflows + 1, settings.inputUrl);
        const names: string[] = [];
        for (const body of bodies.slice(0, scale.workflows)) names.push(await submitUpload(s.url, token, body));
        nodesOfNext = scale.detailNodes;
        const large = await submitUpload(s.url, token, bodies[scale.workflows]!);
        for (const name of [...names, large]) await waitForPhase(s.url, token, name, 'Running');

        const headers = { Authorization: `Bearer ${token}` };
        // Warm-up: the first run after a start measures JIT compilation and cold caches.
        await runWrk({
          url: `${s.url}/status/${names[0]}`,
          connections: scale.pollers,
          durationSeconds: 2,
          request: { headers, paths: names.map((n) => `/status/${n}`) },
        });
        await runWrk({ url: `${s.url}/user`, connections: scale.pollers, durationSeconds: 2, request: { headers } });
        const user = await runWrk({
          url: `${s.url}/user`,
          connections: scale.pollers,
          durationSeconds: settings.durationSeconds,
          request: { headers },
        });
        const poll = async (pollers: number): Promise<ArgoLoad> => {
          settings.progress(`scale: /status with ${pollers} poller${pollers === 1 ? '' : 's'}`);
          const before = argo.requests.length;
          const status = await runWrk({
            url: `${s.url}/status/${names[0]}`,
            connections: pollers,
            durationSeconds: settings.durationSeconds,
            request: { headers, paths: names.map((n) => `/status/${n}`) },
          });
          const argoRequests = argo.requests.length - before;
          if (status.errors > 0)
            throw new UnexpectedResponseError('GET /status under wrk', 0, `${status.errors} of ${status.requests} failed`);
          return { pollers, status, argoRequests, argoPerMinute: (argoRequests / settings.durationSeconds) * 60 };
        };
        const polling: [ArgoLoad, ArgoLoad] = [await poll(1), await poll(scale.pollers)];

        settings.progress(`scale: /runs/{name} of a workflow of ${scale.detailNodes} nodes`);
        const fetchDetail = async () => {
          const start = performance.now();
          const res = await fetch(`${s.url}/runs/${large}`, { headers });
          const body = await res.arrayBuffer();
          if (res.status !== 200) throw new UnexpectedResponseError(`GET /runs/${large}`, res.status, Buffer.from(body).toString());
          return { ms: performance.now() - start, bytes: body.byteLength };
        };
        const first = await fetchDetail();
        const repeats: number[] = [];
        for (let i = 0; i < 20; i++) repeats.push((await fetchDetail()).ms);

        settings.progress(`scale: /runs with ${scale.runRows.toLocaleString('en-US')} rows`);
        await db.connect();
        await db.query(
          `INSERT INTO recipe_runs (user_id, recipe_path, recipe_id, recipe_name, workflow_name, engine, output_type, phase, progress, submitted_at, started_at, finished_at)
         SELECT u.id, 'bench', 'bench-old-' || g, 'Bench old ' || g, 'bench-old-' || g, 'argo', 'temp', 'Succeeded', '1/1',
                now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '10 seconds'
           FROM users u, generate_series(1, $1::int) g WHERE u.name = 'admin'`,
          [scale.runRows - names.length - 1],
        );
        // Settled as a table that grew over months would be: no autovacuum of the bulk insert during the run.
        await db.query('VACUUM ANALYZE recipe_runs');
        await db.query('VACUUM ANALYZE recipe_run_counts');
        const runsList = async (connections: number) => {
          const result = await runWrk({
            url: `${s.url}/runs?limit=50`,
            connections,
            durationSeconds: settings.durationSeconds,
            request: { headers },
          });
          if (result.errors > 0)
            throw new UnexpectedResponseError('GET /runs under wrk', 0, `${result.errors} of ${result.requests} failed`);
          return result;
        };
        const list = await runsList(1);
        const loaded = await runsList(settings.connections);
        return {
          settings: scale,
          resyncMs: (() => {
            const engine = loadConfig({ ...env, OGDC_JWT_SECRET_KEY: JWT_SECRET, OGDC_ADMIN_PASSWORD: ADMIN_PASSWORD }).engine;
            return engine.kind === 'argo' ? engine.watchResyncMs : 0;
          })(),
          user,
          polling,
          runs: { rows: scale.runRows, list, loaded },
          detail: { nodes: scale.detailNodes, bytes: first.bytes, firstMs: first.ms, repeated: latencyFigure(repeats) },
        };
      },
    );
  } finally {
    await db.end().catch(() => {});
    await argo.close();
    await s3.close();
    await pgServer.stop();
  }
}
