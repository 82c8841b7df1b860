import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { serveFiles, writeRecipe } from '../helpers/recipes.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';

const CSV = 'name,lat\nA,70\nB,60\nC,80\n';

for (const target of dbTargets()) {
  describe(`recipes end to end on the local engine (${target.name})`, () => {
    let svc: TestService;
    let files: Awaited<ReturnType<typeof serveFiles>>;
    let baseUrl: string;
    let alice: string;
    let bob: string;

    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const submitDir = async (dir: string, token: string, overwrite = false) =>
      svc.app.inject({
        method: 'POST',
        url: `/submit?overwrite=${overwrite}&name=${path.basename(dir)}`,
        headers: { ...auth(token), 'content-type': 'application/gzip' },
        payload: await packRecipe(dir),
      });
    const finish = async (name: string, token: string) => {
      for (let i = 0; i < 600; i++) {
        const run = (await svc.app.inject({ url: `/runs/${name}`, headers: auth(token) })).json();
        if (['Succeeded', 'Failed', 'Error'].includes(run.status)) return run;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${name} did not finish`);
    };

    before(async () => {
      files = await serveFiles({ 'stations.csv': CSV, 'a.txt': 'alpha\n', 'b.txt': 'beta\n', 'c.txt': 'gamma\n' });
      svc = await startTestService(target, { OGDC_ALLOW_PRIVATE_SOURCES: 'true' }, { createEngine }); // inputs served on loopback;
      baseUrl = await svc.app.listen({ host: '127.0.0.1', port: 0 });
      alice = await svc.userToken('alice');
      bob = await svc.userToken('bob');
    });
    after(async () => {
      await svc.stop();
      await files.close();
    });

    it('runs a sequential recipe with a temporary output and serves its zip through a signed link', async () => {
      const dir = await writeRecipe({
        name: `Stations ${target.name}`,
        inputs: [`${files.url}/stations.csv`],
        steps: [
          "awk -F, 'NR == 1 || $2 >= 66' /input_dir/stations.csv > /output_dir/north.csv",
          'wc -l < /input_dir/north.csv > /output_dir/count.txt && cp /input_dir/north.csv /output_dir/',
        ],
      });
      const res = await submitDir(dir, alice);
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json().recipe_workflow_name;
      const run = await finish(name, alice);
      assert.equal(run.status, 'Succeeded', JSON.stringify(run.nodes));
      assert.equal(run.output_available, true);
      assert.deepEqual(
        run.nodes.filter((n: { type: string }) => n.type === 'Pod').map((n: { phase: string }) => n.phase),
        ['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded'],
      );
      assert.equal((await svc.app.inject({ url: `/status/${name}`, headers: auth(alice) })).json().status, 'Succeeded');

      const { data_url } = (await (await fetch(`${baseUrl}/output/${name}`, { headers: auth(alice) })).json()) as { data_url: string };
      assert.ok(data_url.startsWith(`${baseUrl}/outputs/${name}/`), data_url);
      const zip = await fetch(data_url);
      assert.equal(zip.status, 200);
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ogdc-zip-')), 'out.zip');
      await writeFile(file, Buffer.from(await zip.arrayBuffer()));
      const listing = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map((f) => path.basename(f))
        .sort();
      assert.deepEqual(listing, ['count.txt', 'north.csv']);
      const tampered = await fetch(data_url.replace(/signature=[^&]+/, 'signature=AAAA'));
      assert.equal(tampered.status, 403);
    });

    it('publishes a pvc output once, refuses a second run without overwrite, replaces it with overwrite', async () => {
      const dir = await writeRecipe({
        name: `Published ${target.name}`,
        inputs: [`${files.url}/a.txt`],
        steps: ['tr a-z A-Z < /input_dir/a.txt > /output_dir/A.txt'],
        output: 'pvc',
      });
      const first = await submitDir(dir, alice);
      assert.equal(first.statusCode, 200, first.body);
      assert.equal((await finish(first.json().recipe_workflow_name, alice)).status, 'Succeeded');
      const again = await submitDir(dir, alice);
      assert.equal(again.statusCode, 409);
      assert.match(again.json().detail, /already been published/);
      const over = await submitDir(dir, alice, true);
      assert.equal(over.statusCode, 200, over.body);
      assert.equal((await finish(over.json().recipe_workflow_name, alice)).status, 'Succeeded');
      const notTemporary = await svc.app.inject({ url: `/output/${over.json().recipe_workflow_name}`, headers: auth(alice) });
      assert.equal(notTemporary.statusCode, 404);
    });

    it('runs a parallel recipe once per input file over partitions', async () => {
      const dir = await writeRecipe({
        name: `Parallel ${target.name}`,
        inputs: ['a.txt', 'b.txt', 'c.txt'].map((f) => `${files.url}/${f}`),
        steps: ['tr a-z A-Z < "$INPUT_FILE" > "$OUTPUT_DIR/$(basename "$INPUT_FILE")"'],
        parallel: { partitionSize: 2 },
        output: 'temporary',
      });
      const res = await submitDir(dir, alice);
      assert.equal(res.statusCode, 200, res.body);
      const run = await finish(res.json().recipe_workflow_name, alice);
      assert.equal(
        run.status,
        'Succeeded',
        JSON.stringify(run.nodes.map((n: { name: string; phase: string; message: string }) => [n.name, n.phase, n.message])),
      );
    });

    it('reports a failing step as Failed with the failing command in the logs', async () => {
      const dir = await writeRecipe({
        name: `Failing ${target.name}`,
        inputs: [`${files.url}/a.txt`],
        steps: ['ls /input_dir/no-such-file.tif'],
      });
      const res = await submitDir(dir, alice);
      const name = res.json().recipe_workflow_name;
      const run = await finish(name, alice);
      assert.equal(run.status, 'Failed');
      const failed = run.nodes.find((n: { type: string; phase: string }) => n.type === 'Pod' && n.phase === 'Failed');
      assert.match(failed.message, /exit code/);
      const logs = await svc.app.inject({ url: `/runs/${name}/logs`, headers: auth(alice) });
      assert.equal(logs.statusCode, 200);
      assert.match(logs.body, /no-such-file\.tif/);
      assert.equal((await svc.app.inject({ url: `/runs/${name}/logs`, headers: auth(bob) })).statusCode, 404);
    });

    it('cancels a running run', async () => {
      const dir = await writeRecipe({ name: `Slow ${target.name}`, inputs: [`${files.url}/a.txt`], steps: ['sleep 30'] });
      const name = (await submitDir(dir, alice)).json().recipe_workflow_name;
      for (let i = 0; i < 100; i++) {
        const run = (await svc.app.inject({ url: `/runs/${name}`, headers: auth(alice) })).json();
        if (run.nodes.some((n: { display_name: string; phase: string }) => n.display_name.startsWith('step') && n.phase === 'Running'))
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await svc.app.inject({ method: 'POST', url: `/runs/${name}/cancel`, headers: auth(bob) })).statusCode, 404);
      const cancel = await svc.app.inject({ method: 'POST', url: `/runs/${name}/cancel`, headers: auth(alice) });
      assert.equal(cancel.statusCode, 200, cancel.body);
      const run = await finish(name, alice);
      assert.equal(run.status, 'Failed');
    });

    it('submits a recipe from a git repository under the configured roots only', async () => {
      const repo = await mkdtemp(path.join(os.tmpdir(), 'ogdc-git-'));
      await writeRecipe(
        { name: `From git ${target.name}`, inputs: [`${files.url}/b.txt`], steps: ['cp /input_dir/b.txt /output_dir/'] },
        path.join(repo, 'recipes'),
      );
      const git = (...args: string[]) => assert.equal(spawnSync('git', args, { cwd: repo }).status, 0, args.join(' '));
      git('init', '-q', '-b', 'main');
      git('add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'recipe');
      const recipePath = `git+file://${repo}@main#recipes/from-git-${target.name}`;
      const refused = await svc.app.inject({ method: 'POST', url: '/submit', headers: auth(alice), payload: { recipe_path: recipePath } });
      assert.equal(refused.statusCode, 400, refused.body);
      svc.ctx.config.recipeRoots = [repo];
      try {
        const res = await svc.app.inject({ method: 'POST', url: '/submit', headers: auth(alice), payload: { recipe_path: recipePath } });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal((await finish(res.json().recipe_workflow_name, alice)).status, 'Succeeded');
      } finally {
        svc.ctx.config.recipeRoots = [];
      }
    });

    it('lists only my runs, newest first, and all runs for admin', async () => {
      const mine = (await svc.app.inject({ url: '/runs?limit=2', headers: auth(alice) })).json();
      assert.equal(mine.runs.length, 2);
      assert.ok(mine.total >= 6);
      assert.ok(mine.runs[0].submitted_at >= mine.runs[1].submitted_at);
      assert.ok(mine.runs.every((r: { submitter: string }) => r.submitter === 'alice'));
      assert.equal((await svc.app.inject({ url: '/runs', headers: auth(bob) })).json().total, 0);
      const all = (await svc.app.inject({ url: '/runs', headers: auth(await svc.adminToken()) })).json();
      assert.equal(all.total, mine.total);
    });

    it('answers 422 naming the file and key of an invalid recipe, and records nothing', async () => {
      const dir = await writeRecipe({ name: `Bad ${target.name}`, inputs: [`${files.url}/a.txt`], steps: ['true'] });
      const meta = path.join(dir, 'meta.yml');
      await writeFile(meta, `${await readFile(meta, 'utf8')}colour: blue\n`);
      const before = (await svc.app.inject({ url: '/runs', headers: auth(alice) })).json().total;
      const res = await submitDir(dir, alice);
      assert.equal(res.statusCode, 422);
      assert.match(res.json().detail, /meta\.yml.*colour/);
      assert.equal((await svc.app.inject({ url: '/runs', headers: auth(alice) })).json().total, before);
      assert.ok((await readdir(dir)).includes('meta.yml'));
    });
  });
}
