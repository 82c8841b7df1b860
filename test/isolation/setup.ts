// The service the isolation tests attack: the real service on the local engine with bubblewrap, its data folder
// outside /tmp with the secrets an embedded install keeps there, an input server the fetch step can reach, and
// helpers to submit recipes as a user and wait for their end.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';
import type { DbTarget } from '../helpers/db.ts';
import { writeRecipe } from '../helpers/recipes.ts';
import { startTestService, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET, type TestService } from '../helpers/service.ts';

/** A non-loopback IPv4 address outside the private ranges: inputs served there reach the fetch step's egress. */
function publicAddress(): string | undefined {
  const privateRe = /^(10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/;
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !privateRe.test(a.address)) return a.address;
  return undefined;
}

export interface IsolationService {
  svc: TestService;
  dataDir: string;
  /** Port the service listens on (127.0.0.1). */
  port: number;
  /** URL of an input file the fetch step can download. */
  inputUrl: string;
  auth(token: string): { authorization: string };
  /** Submits a shell recipe as the token's user through POST /submit; returns the workflow name. */
  submit(token: string, spec: Parameters<typeof writeRecipe>[0]): Promise<string>;
  /** Polls GET /runs/{name} until the run has ended (deadline 40 s). */
  finish(name: string, token: string): Promise<{ status: string; nodes: Array<{ name: string; message?: string }> }>;
  logs(name: string, token: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startIsolationService(target: DbTarget, env: Record<string, string> = {}): Promise<IsolationService> {
  const parent = await mkdtemp('/var/tmp/ogdc-iso-');
  const dataDir = path.join(parent, 'data');
  const addr = publicAddress();
  const server = http.createServer((_req, res) => res.end('input-bytes\n'));
  await new Promise<void>((r) => server.listen(0, addr ?? '127.0.0.1', r));
  const inputUrl = `http://${addr ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}/a.txt`;
  const svc = await startTestService(
    target,
    {
      OGDC_LOCAL_SANDBOX: 'bwrap',
      // Without a non-loopback address here the inputs are served on loopback, which only this allows.
      ...(addr ? {} : { OGDC_ALLOW_PRIVATE_SOURCES: 'true' }),
      ...env,
    },
    { createEngine, dataDir },
  );
  const listening = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  // Secrets as an embedded install keeps them in its data folder.
  await writeFile(path.join(dataDir, 'jwt-secret'), TEST_JWT_SECRET);
  await writeFile(path.join(dataDir, 'admin-password'), TEST_ADMIN_PASSWORD);
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    svc,
    dataDir,
    port: Number(new URL(listening).port),
    inputUrl,
    auth,
    async submit(token, spec) {
      const dir = await writeRecipe(spec, await mkdtemp(path.join(parent, 'src-')));
      const res = await svc.app.inject({
        method: 'POST',
        url: `/submit?name=${path.basename(dir)}`,
        headers: { ...auth(token), 'content-type': 'application/gzip' },
        payload: await packRecipe(dir),
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().recipe_workflow_name as string;
    },
    async finish(name, token) {
      const end = Date.now() + 40_000;
      for (;;) {
        const run = (await svc.app.inject({ url: `/runs/${name}`, headers: auth(token) })).json();
        if (['Succeeded', 'Failed', 'Error'].includes(run.status)) return run;
        if (Date.now() > end) throw new Error(`${name} did not finish`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async logs(name, token) {
      return (await svc.app.inject({ url: `/runs/${name}/logs`, headers: auth(token) })).body;
    },
    async stop() {
      await svc.stop();
      server.close();
      await rm(parent, { recursive: true, force: true });
    },
  };
}
