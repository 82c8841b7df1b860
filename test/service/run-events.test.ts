import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { serveFiles, writeRecipe } from '../helpers/recipes.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';

interface Stream {
  events: Array<{ event: string; data: unknown }>;
  text: string;
  close(): void;
  /** Resolves once an event satisfies `pred`. */
  until(pred: (e: { event: string; data: unknown }) => boolean): Promise<void>;
}

async function openStream(url: string, token: string): Promise<Stream & { status: number; type: string | null }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const stream: Stream & { status: number; type: string | null } = {
    status: res.status,
    type: res.headers.get('content-type'),
    events: [],
    text: '',
    close: () => controller.abort(),
    until: (pred) =>
      new Promise((resolve) => {
        const check = () => (stream.events.some(pred) ? resolve() : setTimeout(check, 20));
        check();
      }),
  };
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body!) {
        stream.text += decoder.decode(chunk as Uint8Array, { stream: true });
        const blocks = stream.text.split('\n\n');
        stream.events = blocks
          .slice(0, -1)
          .map((b) => ({ event: /^event: (.*)$/m.exec(b)?.[1] ?? '', data: /^data: (.*)$/m.exec(b)?.[1] }))
          .filter((e) => e.event)
          .map((e) => ({ event: e.event, data: JSON.parse(e.data!) }));
      }
    } catch {
      // Aborted by close().
    }
  })();
  return stream;
}

for (const target of dbTargets()) {
  describe(`the run event stream and run filters on ${target.name}`, () => {
    let svc: TestService;
    let files: Awaited<ReturnType<typeof serveFiles>>;
    let baseUrl: string;
    let alice: string;
    let bob: string;
    let admin: string;
    let aliceRun: string;

    before(async () => {
      files = await serveFiles({ 'a.txt': 'alpha\n' });
      svc = await startTestService(target, { OGDC_ALLOW_PRIVATE_SOURCES: 'true' }, { createEngine }); // inputs served on loopback
      baseUrl = await svc.app.listen({ host: '127.0.0.1', port: 0 });
      alice = await svc.userToken('alice');
      bob = await svc.userToken('bob');
      admin = await svc.adminToken();
    });
    after(async () => {
      await svc.stop();
      await files.close();
    });

    it('refuses a stream without credentials', async () => {
      const res = await fetch(`${baseUrl}/runs/events`);
      assert.equal(res.status, 401);
    });

    it("streams a user's own run changes to them and the admin, and none to another user", async () => {
      const a = await openStream(`${baseUrl}/runs/events`, alice);
      const b = await openStream(`${baseUrl}/runs/events`, bob);
      const root = await openStream(`${baseUrl}/runs/events`, admin);
      try {
        assert.equal(a.status, 200);
        assert.match(a.type ?? '', /^text\/event-stream/);
        await Promise.all([a, b, root].map((s) => s.until((e) => e.event === 'ready')));
        assert.match(a.text, /^retry: \d+\n\n/);
        const dir = await writeRecipe({
          name: `Events ${target.name}`,
          inputs: [`${files.url}/a.txt`],
          steps: ['cp /input_dir/a.txt /output_dir/'],
        });
        const res = await fetch(`${baseUrl}/submit?name=${path.basename(dir)}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/gzip' },
          body: new Uint8Array(await packRecipe(dir)),
        });
        assert.equal(res.status, 200, await res.clone().text());
        aliceRun = (await res.json()).recipe_workflow_name;
        const finished = (e: { event: string; data: unknown }) =>
          e.event === 'run' &&
          (e.data as { recipe_workflow_name: string; status: string }).recipe_workflow_name === aliceRun &&
          (e.data as { status: string }).status === 'Succeeded';
        await a.until(finished);
        await root.until(finished);
        assert.deepEqual(
          b.events.filter((e) => e.event === 'run'),
          [],
        );
      } finally {
        for (const s of [a, b, root]) s.close();
      }
    });

    it('filters GET /runs by phase and recipe, keeping the response shape', async () => {
      const get = async (query: string, token = alice) => {
        const res = await fetch(`${baseUrl}/runs?${query}`, { headers: { authorization: `Bearer ${token}` } });
        return {
          status: res.status,
          body: (await res.json()) as {
            runs: Array<{ recipe_workflow_name: string; status: string }>;
            total: number;
            limit: number;
            offset: number;
          },
        };
      };
      const succeeded = await get('phase=Succeeded');
      assert.deepEqual(
        succeeded.body.runs.map((r) => r.recipe_workflow_name),
        [aliceRun],
      );
      assert.equal(succeeded.body.total, 1);
      assert.equal(succeeded.body.limit, 50);
      assert.equal((await get('phase=Failed')).body.total, 0);
      assert.equal((await get(`recipe=${encodeURIComponent(`EVENTS ${target.name}`.slice(0, 8))}`)).body.total, 1);
      assert.equal((await get('recipe=%25')).body.total, 0, 'a % is matched literally');
      assert.equal((await get('phase=Succeeded', bob)).body.total, 0);
      assert.equal((await get('phase=Succeeded', admin)).body.total, 1);
      const bad = await get('phase=Nope');
      assert.equal(bad.status, 422);
      assert.match(JSON.stringify(bad.body), /phase/);
    });
  });
}
