// Hostile recipes against the real service on the local engine with bubblewrap (DESIGN §9): an ordinary user's
// steps try to read the service's secrets and database, its environment, reach it over loopback, change another
// user's published output, read /etc/shadow and outlive the workflow deadline. The data folder lies outside /tmp.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { createEngine } from '../../src/engine/create.ts';
import { bwrapWorks } from '../../src/engine/local/pods/sandbox-paths.ts';
import { dbTargets } from '../helpers/db.ts';
import { writeRecipe } from '../helpers/recipes.ts';
import { startTestService, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET, type TestService } from '../helpers/service.ts';

const skip = !(await bwrapWorks()) && 'bubblewrap is not usable here';

/** A non-loopback IPv4 address outside the private ranges: inputs served there reach the fetch step's egress. */
function publicAddress(): string | undefined {
  const privateRe = /^(10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/;
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !privateRe.test(a.address)) return a.address;
  return undefined;
}

/** Every file under `dir` with a hash of its bytes. */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.set(full, createHash('sha256').update(await readFile(full)).digest('hex'));
    }
  };
  await walk(dir);
  return out;
}

for (const target of dbTargets()) {
  describe(`hostile recipes on the local engine (${target.name})`, { skip }, () => {
    let svc: TestService;
    let dataDir: string;
    let server: http.Server;
    let inputUrl: string;
    let port: number;
    let alice: string;
    let bob: string;
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const submit = async (token: string, spec: Parameters<typeof writeRecipe>[0]) => {
      const dir = await writeRecipe(spec, await mkdtemp(path.join(dataDir, '..', 'src-')));
      const res = await svc.app.inject({
        method: 'POST',
        url: `/submit?name=${path.basename(dir)}`,
        headers: { ...auth(token), 'content-type': 'application/gzip' },
        payload: await packRecipe(dir),
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().recipe_workflow_name as string;
    };
    const finish = async (name: string, token: string) => {
      const end = Date.now() + 40_000;
      for (;;) {
        const run = (await svc.app.inject({ url: `/runs/${name}`, headers: auth(token) })).json();
        if (['Succeeded', 'Failed', 'Error'].includes(run.status)) return run;
        if (Date.now() > end) throw new Error(`${name} did not finish`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const logs = async (name: string, token: string) => (await svc.app.inject({ url: `/runs/${name}/logs`, headers: auth(token) })).body;

    before(async () => {
      const parent = await mkdtemp('/var/tmp/ogdc-iso-');
      dataDir = path.join(parent, 'data');
      const addr = publicAddress();
      server = http.createServer((_req, res) => res.end('input-bytes\n'));
      await new Promise<void>((r) => server.listen(0, addr ?? '127.0.0.1', r));
      inputUrl = `http://${addr ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}/a.txt`;
      svc = await startTestService(
        target,
        {
          OGDC_LOCAL_SANDBOX: 'bwrap',
          OGDC_WORKFLOW_DEADLINE_SECONDS: '12',
          // Without a non-loopback address here the inputs are served on loopback, which only this allows.
          ...(addr ? {} : { OGDC_ALLOW_PRIVATE_SOURCES: 'true' }),
        },
        { createEngine, dataDir },
      );
      const listening = await svc.app.listen({ host: '127.0.0.1', port: 0 });
      port = Number(new URL(listening).port);
      // Secrets as an embedded install keeps them in its data folder.
      await writeFile(path.join(dataDir, 'jwt-secret'), TEST_JWT_SECRET);
      await writeFile(path.join(dataDir, 'admin-password'), TEST_ADMIN_PASSWORD);
      alice = await svc.userToken('alice');
      bob = await svc.userToken('bob');
    });
    after(async () => {
      await svc?.stop();
      server?.close();
      if (dataDir) await rm(path.dirname(dataDir), { recursive: true, force: true });
    });

    it('steps read no secret, environment or shadow, reach no service, change no other output, and end at the deadline', async () => {
      // Bob publishes first; his output must stay byte-identical.
      const published = await submit(bob, { name: 'Bob data', inputs: [inputUrl], steps: ['echo bob-output > /output_dir/bob.txt'], output: 'pvc' });
      const bobRun = await finish(published, bob);
      assert.equal(bobRun.status, 'Succeeded', JSON.stringify(bobRun.nodes));
      const volumes = path.join(dataDir, 'volumes');
      const before = await tree(volumes);
      assert.ok([...before.keys()].some((f) => f.endsWith('bob.txt')), [...before.keys()].join('\n'));

      const attack = [
        `cat ${dataDir}/jwt-secret ${dataDir}/admin-password 2>&1; ls -R ${dataDir} 2>&1 | head -20`,
        'env',
        `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET /docs HTTP/1.0\\r\\n\\r\\n" >&3 && head -3 <&3 && echo SERVICE-REACHED' 2>&1 || echo service-unreachable`,
        'cat /etc/shadow 2>&1 | head -3; id -u',
        'for f in $(find / -xdev -name bob.txt 2>/dev/null); do echo found $f; echo pwned > $f; done; ls -R /mnt/workflow 2>&1 | head -20; echo pwned > /mnt/workflow/bob.txt 2>&1; true',
        'echo done > /output_dir/done.txt',
      ];
      const [hostile, sleeper] = await Promise.all([
        submit(alice, { name: 'Hostile', inputs: [inputUrl], steps: attack }),
        submit(alice, { name: 'Sleeper', inputs: [inputUrl], steps: ['sleep 100000'] }),
      ]);
      const run = await finish(hostile, alice);
      const text = await logs(hostile, alice);
      assert.equal(run.status, 'Succeeded', JSON.stringify(run.nodes.map((n: { name: string; message?: string }) => [n.name, n.message])));
      assert.ok(!text.includes(TEST_JWT_SECRET), 'JWT secret leaked');
      assert.ok(!text.includes(TEST_ADMIN_PASSWORD), 'admin password leaked');
      assert.match(text, /No such file or directory/);
      assert.ok(!/OGDC_|S3_|ARGO_TOKEN|PG(PASSWORD|HOST)/.test(text.replace(/ogdc-[a-z-]+/gi, '')), 'service environment leaked');
      assert.match(text, /service-unreachable/);
      assert.doesNotMatch(text, /SERVICE-REACHED/);
      assert.doesNotMatch(text, /root:/);
      assert.match(text, /65534/);
      assert.deepEqual(await tree(volumes).then((after) => [...before].filter(([f, h]) => after.get(f) !== h)), []);
      for (const f of before.keys()) assert.doesNotMatch(await readFile(f, 'utf8').catch(() => ''), /pwned/);

      const slept = await finish(sleeper, alice);
      assert.equal(slept.status, 'Failed');
      assert.match(JSON.stringify(slept), /deadline/i);
      assert.ok((await stat(dataDir)).isDirectory());
    });
  });
}
