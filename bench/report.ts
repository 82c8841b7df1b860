/** The benchmark's results, its targets (PASS/MISS) and their printing as a table or JSON. */
import type { ServiceRunner } from './dist.ts';
import type { FanoutFigure } from './fanout.ts';
import type { FirstPodFigure } from './first-pod.ts';
import type { TokenLoadFigure } from './load.ts';
import type { ManifestFigure } from './manifest.ts';
import type { PageLoadFigure, SseFanoutFigure } from './page.ts';
import type { LatencyFigure } from './submit.ts';
import type { ScaleFigures } from './scale.ts';
import type { WrkResult } from './wrk.ts';

export interface ServiceFigures {
  database: 'pglite' | 'postgres';
  /** RSS of the idle service after its first start (fresh data dir or database). */
  idleRssBytes: number;
  /** RSS of the idle service started again on the same data (PGlite only). */
  restartRssBytes?: number;
  user: WrkResult;
  status: WrkResult;
}

export interface BenchResults {
  command: string;
  machine: { nproc: number; memory: string; cpu: string; node: string; date: string };
  settings: { durationSeconds: number; connections: number; tokenConnections: number; repeats: number };
  floor: { user: WrkResult; pgliteRssBytes: number; pgliteRestartRssBytes: number };
  pglite: ServiceFigures;
  postgres: ServiceFigures | { unavailable: string };
  /** `/user` throughput of the PGlite service with OGDC_LOG_LEVEL=warn (the default run logs at info). */
  userAtWarn: WrkResult;
  tokenLoad: TokenLoadFigure;
  submit: { argo: LatencyFigure; local: LatencyFigure };
  manifests: ManifestFigure[];
  fanout: FanoutFigure;
  firstPod: FirstPodFigure;
  /** Status by subscription on PostgreSQL with the Argo stand-in (issue 18). */
  scale: ScaleFigures | { unavailable: string };
  /** The web page: first load of /ui/ in Chromium, and one run change fanned out to many event streams. */
  page: { load: PageLoadFigure | { unavailable: string }; sse: SseFanoutFigure };
  /** Every service start and what bin/ogdc-runner.js ran: the compiled dist/ or (src/ edited meanwhile) the sources through tsx. */
  launches: { label: string; runner: ServiceRunner }[];
}

interface Target {
  name: string;
  value: number;
  limit: number;
  unit: string;
  /** True when value must be at least the limit (throughput), false when at most. */
  atLeast: boolean;
  pass: boolean;
}

const MB = 1024 * 1024;

function target(name: string, value: number, limit: number, unit: string, atLeast = false): Target {
  return { name, value, limit, unit, atLeast, pass: atLeast ? value >= limit : value <= limit };
}

/** Evaluates every target of issue 8 against one run's figures. */
function targets(r: BenchResults): Target[] {
  const list = [
    target('/user throughput vs bare Fastify (PGlite)', r.pglite.user.requestsPerSecond / r.floor.user.requestsPerSecond, 0.6, '×', true),
  ];
  if (!('unavailable' in r.postgres)) {
    list.push(
      target(
        '/user throughput vs bare Fastify (PostgreSQL)',
        r.postgres.user.requestsPerSecond / r.floor.user.requestsPerSecond,
        0.6,
        '×',
        true,
      ),
    );
  }
  list.push(
    target('/user p99 under /token load vs quiet', r.tokenLoad.ratio, 3, '×'),
    target('/submit p50, stand-in Argo Server', r.submit.argo.p50Ms, 50, 'ms'),
  );
  const largest = r.manifests.find((m) => m.inputs === 100_000);
  if (largest) list.push(target('manifest size, 100,000 inputs', largest.manifestBytes / 1024, 256, 'KiB'));
  list.push(target('local engine fan-out vs bare processes', r.fanout.ratio, 3, '×'));
  list.push(target('run-workflow: spawn to first step running', r.firstPod.firstPodMs, 1000, 'ms'));
  if (!('unavailable' in r.postgres)) list.push(target('idle RSS with PostgreSQL', r.postgres.idleRssBytes / MB, 120, 'MB'));
  list.push(target('idle RSS with PGlite vs bare PGlite', r.pglite.idleRssBytes / r.floor.pgliteRssBytes, 1.3, '×'));
  if (!('unavailable' in r.scale)) {
    const [, many] = r.scale.polling;
    list.push(
      target(
        `/status vs /user, ${many.pollers} pollers (PostgreSQL, Argo)`,
        many.status.requestsPerSecond / r.scale.user.requestsPerSecond,
        0.5,
        '×',
        true,
      ),
      // Before, every poll was one GET of the workflow (1,000 per 1,000 polls); now only the watch and its safety-net list remain.
      target(`Argo requests per 1,000 /status polls, ${many.pollers} pollers`, (many.argoRequests / many.status.requests) * 1000, 1, ''),
      target(`/runs p99 with ${r.scale.runs.rows.toLocaleString('en-US')} rows, 1 client`, r.scale.runs.list.p99Ms, 20, 'ms'),
    );
  }
  return list;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const mb = (bytes: number) => `${fmt(bytes / MB, 0)} MB`;

function wrkRow(label: string, w: WrkResult, floor?: WrkResult): string[] {
  return [
    label,
    fmt(w.requestsPerSecond, 0),
    fmt(w.p50Ms, 2),
    fmt(w.p99Ms, 2),
    floor ? fmt(w.requestsPerSecond / floor.requestsPerSecond, 2) : '',
  ];
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The human-readable report. */
export function formatTable(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`ogdc-runner benchmark — ${m.date}`, `machine: ${m.nproc} cores (${m.cpu}), ${m.memory} RAM, node ${m.node}`);
  out.push(
    `wrk: ${r.settings.durationSeconds} s per run, ${r.settings.connections} connections (throughput: best of ${r.settings.repeats}), 1 (latency), ${r.settings.tokenConnections} on /token`,
  );
  const fromSources = r.launches.filter((l) => l.runner === 'sources').map((l) => l.label);
  out.push(
    fromSources.length === 0
      ? `service: node bin/ogdc-runner.js serve, compiled dist/ (node scripts/build.mjs) in all ${r.launches.length} starts`
      : `service: node bin/ogdc-runner.js serve; src/ changed during the run, so these ran the sources through tsx: ${fromSources.join(', ')}`,
    '',
  );

  const http: string[][] = [wrkRow('bare Fastify GET /user (floor)', r.floor.user)];
  http.push(
    wrkRow('PGlite   GET /user', r.pglite.user, r.floor.user),
    wrkRow('PGlite   GET /status/{name}', r.pglite.status, r.floor.user),
  );
  http.push(wrkRow('PGlite   GET /user, OGDC_LOG_LEVEL=warn', r.userAtWarn, r.floor.user));
  if (!('unavailable' in r.postgres)) {
    http.push(
      wrkRow('Postgres GET /user', r.postgres.user, r.floor.user),
      wrkRow('Postgres GET /status/{name}', r.postgres.status, r.floor.user),
    );
  }
  out.push(table(['HTTP (wrk)', 'req/s', 'p50 ms', 'p99 ms', 'vs floor'], http), '');

  const t = r.tokenLoad;
  out.push(
    table(
      [`/user with one client (median of ${t.rounds.length} rounds)`, 'req/s', 'p50 ms', 'p99 ms'],
      [
        ['quiet', fmt(t.quiet.requestsPerSecond, 0), fmt(t.quiet.p50Ms, 2), fmt(t.quiet.p99Ms, 2)],
        ['while /token is loaded', fmt(t.loaded.requestsPerSecond, 0), fmt(t.loaded.p50Ms, 2), fmt(t.loaded.p99Ms, 2)],
        ['(/token itself)', fmt(t.token.requestsPerSecond, 1), fmt(t.token.p50Ms, 1), fmt(t.token.p99Ms, 1)],
      ],
    ),
    `p99 ms of each round, quiet / loaded: ${t.rounds.map((x) => `${fmt(x.quiet.p99Ms, 2)} / ${fmt(x.loaded.p99Ms, 2)}`).join(', ')}`,
    '',
  );

  out.push(
    table(
      ['POST /submit (upload, sequential)', 'n', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['stand-in Argo Server', String(r.submit.argo.count), fmt(r.submit.argo.p50Ms), fmt(r.submit.argo.p99Ms), fmt(r.submit.argo.maxMs)],
        ['local engine', String(r.submit.local.count), fmt(r.submit.local.p50Ms), fmt(r.submit.local.p99Ms), fmt(r.submit.local.maxMs)],
      ],
    ),
    '',
  );

  out.push(
    table(
      ['parallel recipe manifest', 'manifest bytes', 'input list bytes', 'render ms'],
      r.manifests.map((x) => [
        `${x.inputs.toLocaleString('en-US')} inputs`,
        String(x.manifestBytes),
        String(x.uploadBytes),
        fmt(x.renderMs, 2),
      ]),
    ),
    '',
  );

  const p = r.firstPod;
  out.push(
    table(
      [`run-workflow (dist/, sandbox auto), median of ${p.runs}`, 'ms'],
      [
        ['spawn to first step running', fmt(p.firstPodMs, 0)],
        ['one-step workflow, exit included', fmt(p.oneStepMs, 0)],
        [`${p.steps} sequential steps`, fmt(p.manyStepsMs, 0)],
        ['each further sequential step', fmt(p.perStepMs, 1)],
      ],
    ),
    '',
  );
  const f = r.fanout;
  out.push(
    table(
      [`fan-out of ${f.items} × sh -c true, ${f.parallelism} at once`, 'wall ms', 'ratio'],
      [
        ['bare processes', fmt(f.bareMs, 0), '1.00'],
        [`local engine (sandbox ${f.sandbox}, ${f.phase ?? 'no phase'})`, fmt(f.engineMs, 0), fmt(f.ratio, 2)],
        ['local engine without sandbox', fmt(f.unsandboxedMs, 0), fmt(f.unsandboxedMs / f.bareMs, 2)],
      ],
    ),
    `extra time per step and slot: ${fmt(f.overheadPerStepMs)} ms; sandbox cost per step and slot: ${fmt(f.sandboxCostPerStepMs)} ms`,
    '',
  );

  if ('unavailable' in r.scale) out.push(`status by subscription: not measured: ${r.scale.unavailable}`, '');
  else {
    const sc = r.scale;
    const [one, many] = sc.polling;
    out.push(
      `status by subscription: service on PostgreSQL, Argo stand-in with ${sc.settings.workflows} running workflows of ${sc.settings.nodesPerWorkflow.toLocaleString('en-US')} nodes, safety-net list every ${sc.resyncMs / 1000} s`,
      table(
        ['GET /status/{name}, workflows in turn', 'req/s', 'p50 ms', 'p99 ms', 'Argo req', 'Argo req/min', 'before: 1 GET/poll, req/min'],
        [one, many].map((p) => [
          `${p.pollers} poller${p.pollers === 1 ? '' : 's'}`,
          fmt(p.status.requestsPerSecond, 0),
          fmt(p.status.p50Ms, 2),
          fmt(p.status.p99Ms, 2),
          String(p.argoRequests),
          fmt(p.argoPerMinute, 1),
          fmt(p.status.requestsPerSecond * 60, 0),
        ]),
      ),
      table(
        ['same service, same connections', 'req/s', 'p50 ms', 'p99 ms', 'vs /user'],
        [wrkRow(`GET /user, ${many.pollers} connections`, sc.user), wrkRow(`GET /status, ${many.pollers} pollers`, many.status, sc.user)],
      ),
      table(
        ['reads of the runs table', 'req/s', 'p50 ms', 'p99 ms'],
        [
          [
            `GET /runs?limit=50, ${sc.runs.rows.toLocaleString('en-US')} rows, 1 client`,
            fmt(sc.runs.list.requestsPerSecond, 0),
            fmt(sc.runs.list.p50Ms, 2),
            fmt(sc.runs.list.p99Ms, 2),
          ],
          [
            `same, ${r.settings.connections} connections`,
            fmt(sc.runs.loaded.requestsPerSecond, 0),
            fmt(sc.runs.loaded.p50Ms, 2),
            fmt(sc.runs.loaded.p99Ms, 2),
          ],
        ],
      ),
      table(
        [`GET /runs/{name}, ${sc.detail.nodes.toLocaleString('en-US')} nodes`, 'bytes', 'ms'],
        [
          ['first view (nodes fetched from Argo)', String(sc.detail.bytes), fmt(sc.detail.firstMs)],
          [
            `${sc.detail.repeated.count} views more (kept per resource version), p50 / p99`,
            String(sc.detail.bytes),
            `${fmt(sc.detail.repeated.p50Ms)} / ${fmt(sc.detail.repeated.p99Ms)}`,
          ],
        ],
      ),
      '',
    );
  }
  const load = r.page.load;
  const sse = r.page.sse;
  const kib = (bytes: number) => `${fmt(bytes / 1024)} KiB`;
  out.push(
    table(
      ['web page', 'measured'],
      [
        'unavailable' in load
          ? ['first load of /ui/ in Chromium', `not measured: ${load.unavailable}`]
          : [
              `first load of /ui/ (${load.requests} responses, ${load.runsListed} runs listed): bytes transferred`,
              kib(load.transferredBytes),
            ],
        ...('unavailable' in load
          ? []
          : [
              [
                `  navigation to the runs table, p50 / max of ${load.toRunsList.count} (loopback)`,
                `${fmt(load.toRunsList.p50Ms)} / ${fmt(load.toRunsList.maxMs)} ms`,
              ],
            ]),
        [`one run change to ${sse.streams} open /runs/events streams: POST /submit answered`, `${fmt(sse.submitMs)} ms`],
        [
          '  row written to event read by a stream, p50 / p99 / max',
          `${fmt(sse.delivery.p50Ms)} / ${fmt(sse.delivery.p99Ms)} / ${fmt(sse.delivery.maxMs)} ms`,
        ],
        ['  first stream to last stream', `${fmt(sse.spreadMs)} ms`],
        ['  service memory per open stream', sse.rssPerStreamBytes > 0 ? kib(sse.rssPerStreamBytes) : 'too small to see in RSS'],
      ],
    ),
    '',
  );

  const mem: string[][] = [
    ['bare PGlite process (floor), fresh / reopened', `${mb(r.floor.pgliteRssBytes)} / ${mb(r.floor.pgliteRestartRssBytes)}`],
    [
      'service on PGlite, first start / restart',
      `${mb(r.pglite.idleRssBytes)} / ${r.pglite.restartRssBytes ? mb(r.pglite.restartRssBytes) : '–'}`,
    ],
  ];
  if (!('unavailable' in r.postgres)) mem.push(['service on PostgreSQL', mb(r.postgres.idleRssBytes)]);
  else mem.push(['service on PostgreSQL', `not measured: ${r.postgres.unavailable}`]);
  out.push(table(['idle resident memory (RSS)', 'RSS'], mem), '');

  const rows = targets(r).map((x) => [
    x.name,
    `${fmt(x.value, 2)} ${x.unit}`,
    `${x.atLeast ? '≥' : '≤'} ${x.limit} ${x.unit}`,
    x.pass ? 'PASS' : 'MISS',
  ]);
  out.push(table(['target', 'measured', 'limit', ''], rows));
  return `${out.join('\n')}\n`;
}

/** The JSON summary: every figure plus the evaluated targets. */
export function formatJson(r: BenchResults): string {
  return `${JSON.stringify({ ...r, targets: targets(r) }, null, 2)}\n`;
}
