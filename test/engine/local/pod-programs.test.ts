// The programs before a step's command (the shell that joins its cgroups and sets its limits, bubblewrap,
// nsenter, the egress gate's shell) are the host's, whatever PATH the template declares: a step whose PATH names
// a folder it could write never gets its own `sh` or `bwrap` run on the host, outside the sandbox.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, manifest, nodes, run } from './helpers.ts';

const bwrapOnly = { skip: !(await bwrapWorks()) && 'bubblewrap is not usable here' };

const FAKES = ['sh', 'dash', 'bash', 'bwrap', 'prlimit', 'nsenter', 'unshare', 'setpriv'];

test(
  'a template PATH naming a folder of look-alike programs runs none of them on the host',
  { ...bwrapOnly, timeout: 180_000 },
  async (t) => {
    // Stands for a folder a user can write (a claim's folder): each look-alike would leave a file on the host.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-fakes-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const ran = path.join(dir, 'ran-on-the-host');
    for (const name of FAKES) {
      await writeFile(path.join(dir, name), `#!/bin/sh\necho ${name} >> ${ran}\nexit 0\n`);
      await chmod(path.join(dir, name), 0o755);
    }
    const h = await harness(t, { sandbox: 'bwrap' });
    const env = `[{name: PATH, value: '${dir}:/usr/bin:/bin'}]`;
    // Main, and a sidecar (its pods then share the workflow's network, entered with nsenter).
    const wf = await run(
      h.engine,
      manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: fake-programs}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      command: [echo, main ran]
      env: ${env}
    sidecars:
    - name: side
      image: alpine
      command: [sleep, '30']
      env: ${env}
`),
    );
    assert.equal(wf.status?.phase, 'Succeeded', JSON.stringify(nodes(wf).map((n) => [n.displayName, n.phase, n.message])));
    assert.deepEqual(await logText(h.engine, 'fake-programs'), ['main ran']);
    assert.equal(existsSync(ran), false, `ran on the host: ${existsSync(ran) ? (await import('node:fs')).readFileSync(ran, 'utf8') : ''}`);
  },
);
