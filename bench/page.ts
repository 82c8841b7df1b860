/**
 * The web page's figures, against the service as users run it:
 * - first load of /ui/ in Chromium (a fresh browser context each time, signed in by its session
 *   cookie): bytes transferred (headers and bodies of every response) and the time from navigation
 *   to the runs table shown, on loopback, over 20 runs the user has;
 * - the fan-out of the run event stream: `streams` open GET /runs/events, then one submission;
 *   for its first change, the time from the row's write (the event's `at`, same machine clock) to
 *   each stream reading it, the spread from the first stream to the last, and the service's memory
 *   per open stream.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { login, waitForRun, ADMIN_PASSWORD, type ServiceProcess } from './service.ts';
import { latencyFigure, prepareRecipeUploads, submitUpload, type LatencyFigure } from './submit.ts';

const CHROMIUM = '/usr/bin/chromium';

export interface PageLoadFigure {
  /** Responses of one first load (the page, its script and style sheet, the API calls it makes). */
  requests: number;
  transferredBytes: number;
  /** Navigation start to the runs table visible. */
  toRunsList: LatencyFigure;
  runsListed: number;
}

export interface SseFanoutFigure {
  streams: number;
  /** POST /submit alone (its answer). */
  submitMs: number;
  /** From the run row's write (the event's `at`) to each stream reading the event. */
  delivery: LatencyFigure;
  /** From the first stream reading the event to the last: the cost of the fan-out itself. */
  spreadMs: number;
  /** Service RSS growth with the streams open, per stream. */
  rssPerStreamBytes: number;
}

export async function measurePageLoad(s: ServiceProcess, repeats: number): Promise<PageLoadFigure | { unavailable: string }> {
  if (!existsSync(CHROMIUM)) return { unavailable: `no browser at ${CHROMIUM}` };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const samples: number[] = [];
    let transferredBytes = 0;
    let requests = 0;
    let runsListed = 0;
    for (let i = 0; i < repeats + 1; i++) {
      // Signed in as the API does it (POST /session), so the figure is the page's, not the form's.
      const context = await browser.newContext();
      const res = await context.request.post(`${s.url}/session`, { form: { username: 'admin', password: ADMIN_PASSWORD } });
      if (res.status() !== 200) throw new Error(`POST /session answered ${res.status()}`);
      const page = await context.newPage();
      const responses: Array<Promise<number>> = [];
      page.on('requestfinished', (request) => {
        responses.push(request.sizes().then((z) => z.responseHeadersSize + z.responseBodySize));
      });
      const started = performance.now();
      await page.goto(`${s.url}/ui/`);
      const table = page.getByRole('table', { name: 'Runs' });
      await table.waitFor();
      const elapsed = performance.now() - started;
      runsListed = await table.locator('tbody tr').count();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      const sizes = await Promise.all(responses);
      // The first round warms the service (and the disk cache), like the other phases' warm-ups.
      if (i > 0) {
        samples.push(elapsed);
        requests = sizes.length;
        transferredBytes = sizes.reduce((a, b) => a + b, 0);
      }
      await context.close();
    }
    return { requests, transferredBytes, toRunsList: latencyFigure(samples), runsListed };
  } finally {
    await browser.close();
  }
}

/** Submits `count` small runs and waits for them, so the list has something to show and nothing changes meanwhile. */
export async function seedRuns(s: ServiceProcess, inputUrl: string, count: number): Promise<void> {
  const token = await login(s.url);
  const names: string[] = [];
  for (const body of await prepareRecipeUploads('Bench page', count, inputUrl)) names.push(await submitUpload(s.url, token, body));
  for (const name of names) await waitForRun(s.url, token, name, 120_000);
}

/** Opens `streams` event streams, submits one run, and times its delivery to every stream. */
export async function measureSseFanout(s: ServiceProcess, inputUrl: string, streams: number): Promise<SseFanoutFigure> {
  const token = await login(s.url);
  const before = await s.rssBytes();
  const controller = new AbortController();
  // Per stream: when it read the first run event after the submission (epoch ms, and performance.now()), and the event's `at`.
  const received: Array<{ wall: number; mono: number; at: number } | undefined> = new Array(streams).fill(undefined);
  const ready: Array<Promise<void>> = [];
  let sentAt = 0;
  for (let i = 0; i < streams; i++) {
    ready.push(
      (async () => {
        const res = await fetch(`${s.url}/runs/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
        if (res.status !== 200) throw new Error(`GET /runs/events answered ${res.status}`);
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        let isReady = false;
        let signalReady!: () => void;
        const readyNow = new Promise<void>((resolve) => (signalReady = resolve));
        void (async () => {
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) return;
              text += value;
              if (!isReady && /^event: ready$/m.test(text)) {
                isReady = true;
                signalReady();
              }
              // Only what arrives after the submission was sent counts (an event is one write, one chunk).
              const event = sentAt > 0 && received[i] === undefined ? /^event: run\ndata: (.*)$/m.exec(value) : null;
              if (event)
                received[i] = { wall: Date.now(), mono: performance.now(), at: Date.parse((JSON.parse(event[1]!) as { at: string }).at) };
            }
          } catch {
            // Aborted at the end.
          }
        })();
        await readyNow;
      })(),
    );
  }
  try {
    await Promise.all(ready);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssPerStreamBytes = Math.max(0, (await s.rssBytes()) - before) / streams;
    const [body] = await prepareRecipeUploads('Bench fan-out', 1, inputUrl);
    sentAt = performance.now();
    await submitUpload(s.url, token, body!);
    const submitMs = performance.now() - sentAt;
    const deadline = Date.now() + 30_000;
    while (received.some((r) => r === undefined)) {
      if (Date.now() > deadline)
        throw new Error(`${received.filter((r) => r === undefined).length} of ${streams} streams heard nothing in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const got = received as Array<{ wall: number; mono: number; at: number }>;
    const monos = got.map((r) => r.mono);
    return {
      streams,
      submitMs,
      delivery: latencyFigure(got.map((r) => Math.max(0, r.wall - r.at))),
      spreadMs: Math.max(...monos) - Math.min(...monos),
      rssPerStreamBytes,
    };
  } finally {
    controller.abort();
  }
}
