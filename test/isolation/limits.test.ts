// Per-step limits and artifact keys through the service (DESIGN §9): an ordinary user's fork bomb and memory hog,
// under small OGDC_LOCAL_STEP_PROCESSES and OGDC_LOCAL_STEP_MEMORY_MB, fail with a message naming the limit and its
// variable, leave no process behind, and the service keeps answering; a manifest as the service submits it, made to
// name another run's artifact key, is refused or fails its node, and the other run's artifacts stay as they were.
// Neither touches the database: one target is enough.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cgroups } from '../../src/engine/local/pods/cgroups.ts';
import { bwrapWorks } from '../../src/engine/local/pods/sandbox-paths.ts';
import { ManifestRejectedError } from '../../src/engine/errors.ts';
import type { LocalEngine } from '../../src/engine/local/index.ts';
import { prepareSubmission } from '../../src/service/runs/submit.ts';
import { findUserByName } from '../../src/service/users/repository.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
import { dbTargets } from '../helpers/db.ts';
import { writeRecipe } from '../helpers/recipes.ts';
import { startIsolationService, type IsolationService } from './setup.ts';

async function skipReason(): Promise<string | false> {
  if (!(await bwrapWorks())) return 'bubblewrap is not usable here';
  const probe = await Cgroups.create();
  if (typeof probe === 'string') return `no cgroups here: ${probe}`;
  await probe.close();
  return false;
}
const skip = await skipReason();

describe('step limits and artifact keys through the service', { skip }, () => {
  let iso: IsolationService;
  let alice: string;

  before(async () => {
    iso = await startIsolationService(dbTargets()[0]!, { OGDC_LOCAL_STEP_PROCESSES: '20', OGDC_LOCAL_STEP_MEMORY_MB: '64' });
    alice = await iso.svc.userToken('alice');
  });
  after(async () => {
    await iso?.stop();
  });

  it('a fork bomb and a memory hog fail naming their limit; nothing is left running and the service answers', async () => {
    const [bomb, hog] = await Promise.all([
      iso.submit(alice, { name: 'Fork bomb', inputs: [iso.inputUrl], steps: ['for i in $(seq 200); do sleep 37.3 & done; wait'] }),
      iso.submit(alice, {
        name: 'Memory hog',
        inputs: [iso.inputUrl],
        steps: ['head -c 400000000 /dev/zero | tail -c 300000000 > /dev/null'],
      }),
    ]);
    const messages = (run: Awaited<ReturnType<IsolationService['finish']>>) => run.nodes.map((n) => n.message ?? '').join('\n');

    const bombRun = await iso.finish(bomb, alice);
    assert.equal(bombRun.status, 'Failed', messages(bombRun));
    assert.match(messages(bombRun), /exceeded OGDC_LOCAL_STEP_PROCESSES \(20\)/);
    const status = (await iso.svc.app.inject({ url: `/status/${bomb}`, headers: iso.auth(alice) })).json();
    assert.equal(status.status, 'Failed');

    const hogRun = await iso.finish(hog, alice);
    assert.equal(hogRun.status, 'Failed', messages(hogRun));
    assert.match(messages(hogRun), /exceeded OGDC_LOCAL_STEP_MEMORY_MB \(64\)/);

    // The fetch steps ran within the same limits; nothing of the bomb outlives its node.
    const left = execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter((l) => l.trim() === 'sleep 37.3');
    assert.deepEqual(left, []);
    const user = await iso.svc.app.inject({ url: '/user', headers: iso.auth(alice) });
    assert.equal(user.statusCode, 200, user.body);
    assert.equal(user.json().current_user, 'alice');
    const health = await iso.svc.app.inject({ url: '/health/ready' });
    assert.equal(health.statusCode, 200, health.body);
  });

  it("a service manifest naming another run's artifact key is refused naming the field, or fails its node", async () => {
    const bob = await iso.svc.userToken('bob');
    const bobRun = await iso.submit(bob, { name: 'Bob keys', inputs: [iso.inputUrl], steps: ['echo bob-secret > /output_dir/b.txt'] });
    assert.equal((await iso.finish(bobRun, bob)).status, 'Succeeded');
    const bobDir = path.join(iso.dataDir, 'artifacts', bobRun);
    const bobFiles = (await readdir(bobDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const bobKey = path.relative(path.join(iso.dataDir, 'artifacts'), path.join(bobFiles[0]!.parentPath, bobFiles[0]!.name));
    const hashes = async () =>
      Promise.all(
        bobFiles.map(async (e) =>
          createHash('sha256')
            .update(await readFile(path.join(e.parentPath, e.name)))
            .digest('hex'),
        ),
      );
    const before = await hashes();

    // Alice's parallel recipe as the service translates it (its input list uploaded under its own prefix).
    const aliceUser = (await findUserByName(iso.svc.ctx.db, 'alice'))!;
    const dir = await writeRecipe(
      {
        name: 'Alice keys',
        inputs: [iso.inputUrl, iso.inputUrl.replace(/a\.txt$/, 'b.txt')],
        steps: ['cp "$INPUT_FILE" "$OUTPUT_DIR/"'],
        parallel: { partitionSize: 1 },
        output: 'temporary',
      },
      await mkdtemp(path.join(path.dirname(iso.dataDir), 'src-')),
    );
    const engine = iso.svc.ctx.engine as LocalEngine;
    const prepare = async () => {
      const { translation, uploadPrefix } = await prepareSubmission(iso.svc.ctx, aliceUser, {
        label: 'upload:alice.tgz',
        source: { kind: 'archive', data: await packRecipe(dir) },
        overwrite: false,
      });
      for (const u of translation.uploads) await engine.putArtifact(u.key, u.body);
      return { wf: translation.workflow, uploadPrefix };
    };
    // Unchanged, it runs (own upload read, own keys written).
    const own = await prepare();
    const ok = await engine.wait((await engine.submit(own.wf, { artifactReadPrefixes: [own.uploadPrefix] })).metadata.name!);
    const okLogs: string[] = [];
    for await (const l of engine.logs(ok.metadata.name!)) okLogs.push(`${l.podName}: ${l.content}`);
    assert.equal(ok.status?.phase, 'Succeeded', okLogs.join('\n'));

    // Its output written to Bob's key: refused at submit naming the field.
    const hostile = await prepare();
    const templates = hostile.wf.spec.templates as Array<{ outputs?: { artifacts?: Array<Record<string, unknown>> } }>;
    const ti = templates.findIndex((t) => (t.outputs?.artifacts?.length ?? 0) > 0);
    assert.ok(ti >= 0);
    templates[ti]!.outputs!.artifacts![0]!.s3 = { key: bobKey };
    await assert.rejects(
      engine.submit(hostile.wf, { artifactReadPrefixes: [hostile.uploadPrefix] }),
      (err: unknown) =>
        err instanceof ManifestRejectedError &&
        err.field === `spec.templates[${ti}].outputs.artifacts[0].s3.key` &&
        /outside this workflow's artifacts/.test(err.message),
    );
    // The same key through a parameter: the node fails naming the key.
    const tagged = await prepare();
    (tagged.wf.spec.arguments as { parameters?: unknown[] } | undefined) ??= {};
    const args = tagged.wf.spec.arguments as { parameters?: Array<{ name: string; value: string }> };
    (args.parameters ??= []).push({ name: 'stolen', value: bobKey });
    (tagged.wf.spec.templates as typeof templates)[ti]!.outputs!.artifacts![0]!.s3 = { key: '{{workflow.parameters.stolen}}' };
    const failed = await engine.wait((await engine.submit(tagged.wf, { artifactReadPrefixes: [tagged.uploadPrefix] })).metadata.name!);
    assert.match(String(failed.status?.phase), /^(Failed|Error)$/);
    assert.match(JSON.stringify(failed.status?.nodes), /is outside this workflow's artifacts/);
    assert.deepEqual(await hashes(), before);
  });
});
