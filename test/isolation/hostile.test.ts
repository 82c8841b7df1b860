// Hostile recipes against the real service on the local engine with bubblewrap (DESIGN §9): an ordinary user's
// steps try to read the service's secrets and database, its environment, reach it over loopback, change another
// user's published output, read /etc/shadow and outlive the workflow deadline. The data folder lies outside /tmp.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bwrapWorks } from '../../src/engine/local/pods/sandbox-paths.ts';
import { dbTargets } from '../helpers/db.ts';
import { TEST_ADMIN_PASSWORD, TEST_JWT_SECRET } from '../helpers/service.ts';
import { startIsolationService, type IsolationService } from './setup.ts';

const skip = !(await bwrapWorks()) && 'bubblewrap is not usable here';

/** Every file under `dir` with a hash of its bytes. */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile())
        out.set(
          full,
          createHash('sha256')
            .update(await readFile(full))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}

for (const target of dbTargets()) {
  describe(`hostile recipes on the local engine (${target.name})`, { skip }, () => {
    let iso: IsolationService;
    let dataDir: string;
    let inputUrl: string;
    let port: number;
    let alice: string;
    let bob: string;
    const submit: IsolationService['submit'] = (token, spec) => iso.submit(token, spec);
    const finish: IsolationService['finish'] = (name, token) => iso.finish(name, token);
    const logs: IsolationService['logs'] = (name, token) => iso.logs(name, token);

    before(async () => {
      iso = await startIsolationService(target, { OGDC_WORKFLOW_DEADLINE_SECONDS: '12' });
      ({ dataDir, inputUrl, port } = iso);
      alice = await iso.svc.userToken('alice');
      bob = await iso.svc.userToken('bob');
    });
    after(async () => {
      await iso?.stop();
    });

    it('steps read no secret, environment or shadow, reach no service, change no other output, and end at the deadline', async () => {
      // Bob publishes first; his output must stay byte-identical.
      const published = await submit(bob, {
        name: 'Bob data',
        inputs: [inputUrl],
        steps: ['echo bob-output > /output_dir/bob.txt'],
        output: 'pvc',
      });
      const bobRun = await finish(published, bob);
      assert.equal(bobRun.status, 'Succeeded', JSON.stringify(bobRun.nodes));
      const volumes = path.join(dataDir, 'volumes');
      const before = await tree(volumes);
      assert.ok(
        [...before.keys()].some((f) => f.endsWith('bob.txt')),
        [...before.keys()].join('\n'),
      );

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
