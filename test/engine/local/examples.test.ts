// Every workflow in shared/argo/examples runs on the local engine with the results SEMANTICS §15 gives.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLocalEngine, type LocalEngine } from '../../../src/engine/local/index.ts';
import { fnv1a32 } from '../../../src/engine/local/state/names.ts';
import type { Db } from '../../../src/db/types.ts';
import type { Workflow } from '../../../src/engine/types.ts';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { dbTargets } from '../../helpers/db.ts';
import { example, logText, nodeByDisplay, nodes, run } from './helpers.ts';

const HAS_BWRAP = await bwrapWorks();
let engine: LocalEngine;
let db: Db;
let dataDir: string;

before(async () => {
  db = await dbTargets()[0]!.open();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-examples-'));
  engine = await createLocalEngine({ db, dataDir, sandbox: 'auto', maxProcesses: 4, log: () => undefined });
});
after(async () => {
  await engine.close();
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

const displayNames = (wf: Workflow) =>
  nodes(wf)
    .map((n) => n.displayName)
    .sort();

describe('Argo examples', { concurrency: true }, () => {
  test('hello-world: one root Pod named like the workflow prints hello world', async () => {
    const wf = await run(engine, await example('hello-world'));
    const name = wf.metadata.name!;
    assert.match(name, /^hello-world-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '1/1');
    const root = wf.status!.nodes![name]!;
    assert.equal(root.type, 'Pod');
    assert.equal(root.outputs?.exitCode, '0');
    assert.equal(nodes(wf).length, 1);
    assert.deepEqual(await logText(engine, name), ['hello world']);
    const lines = [];
    for await (const l of engine.logs(name)) lines.push(l);
    assert.equal(lines[0]?.podName, name);
  });

  test('steps: hello1 then hello2a and hello2b in parallel, 6 nodes, ids are FNV-1a of node names', async () => {
    const wf = await run(engine, await example('steps'));
    const name = wf.metadata.name!;
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '3/3');
    assert.deepEqual(displayNames(wf), ['[0]', '[1]', 'hello1', 'hello2a', 'hello2b', name].sort());
    const hello1 = nodeByDisplay(wf, 'hello1');
    assert.equal(hello1.name, `${name}[0].hello1`);
    assert.equal(hello1.id, `${name}-${fnv1a32(`${name}[0].hello1`)}`);
    assert.equal(hello1.boundaryID, name);
    assert.deepEqual(hello1.children, [nodeByDisplay(wf, '[1]').id]);
    const root = wf.status!.nodes![name]!;
    assert.equal(root.type, 'Steps');
    assert.deepEqual(root.outboundNodes?.sort(), [nodeByDisplay(wf, 'hello2a').id, nodeByDisplay(wf, 'hello2b').id].sort());
    assert.deepEqual((await logText(engine, name)).sort(), ['hello1', 'hello2a', 'hello2b']);
  });

  test('dag-diamond: A, then B and C, then D as child of both', async () => {
    const wf = await run(engine, await example('dag-diamond'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '4/4');
    assert.equal(nodes(wf).length, 5);
    const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((n) => nodeByDisplay(wf, n));
    assert.equal(a!.name, `${wf.metadata.name}.A`);
    assert.deepEqual(a!.children?.sort(), [b!.id, c!.id].sort());
    assert.deepEqual(b!.children, [d!.id]);
    assert.deepEqual(c!.children, [d!.id]);
    assert.deepEqual(wf.status!.nodes![wf.metadata.name!]!.outboundNodes, [d!.id]);
  });

  test('artifact-passing: the tgz lands at <wf>/<pod>/hello-art.tgz and the consumer prints it', async () => {
    const wf = await run(engine, await example('artifact-passing'));
    const name = wf.metadata.name!;
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '2/2');
    const gen = nodeByDisplay(wf, 'generate-artifact');
    const pod = `${name}-hello-world-to-file-${fnv1a32(gen.name)}`;
    assert.deepEqual(gen.outputs?.artifacts, [
      { name: 'hello-art', path: '/tmp/hello_world.txt', s3: { key: `${name}/${pod}/hello-art.tgz` } },
    ]);
    const stream = await engine.getArtifact(`${name}/${pod}/hello-art.tgz`);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks)[0], 0x1f, 'a gzip archive');
    const consumer = nodeByDisplay(wf, 'consume-artifact');
    assert.deepEqual(await logText(engine, name, consumer.id), ['hello world']);
  });

  test('output-parameter: hello-param is read from the file, the default is unused', async () => {
    const wf = await run(engine, await example('output-parameter'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '2/2');
    assert.deepEqual(nodeByDisplay(wf, 'generate-parameter').outputs?.parameters, [{ name: 'hello-param', value: 'hello world' }]);
    assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'consume-parameter').id), ['hello world']);
  });

  test('loops: children named print-message-loop(i:item)', async () => {
    const wf = await run(engine, await example('loops'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '2/2');
    assert.ok(nodeByDisplay(wf, 'print-message-loop(0:hello world)'));
    assert.ok(nodeByDisplay(wf, 'print-message-loop(1:goodbye world)'));
  });

  test('loops-maps: map items are named by sorted key:value pairs', async () => {
    const wf = await run(engine, await example('loops-maps'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '4/4');
    for (const n of [
      'test-linux(0:image:debian,tag:9.1)',
      'test-linux(1:image:debian,tag:8.9)',
      'test-linux(2:image:alpine,tag:3.6)',
      'test-linux(3:image:ubuntu,tag:17.10)',
    ]) {
      assert.ok(nodeByDisplay(wf, n));
    }
    assert.deepEqual(nodeByDisplay(wf, 'test-linux(2:image:alpine,tag:3.6)').inputs?.parameters, [
      { name: 'image', value: 'alpine' },
      { name: 'tag', value: '3.6' },
    ]);
  });

  test('arguments-parameters: the workflow argument reaches the entrypoint, -p overrides it', async () => {
    const wf = await run(engine, await example('arguments-parameters'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.deepEqual(await logText(engine, wf.metadata.name!), ['hello world']);
    const overridden = await run(engine, await example('arguments-parameters'), { message: 'goodbye world' });
    assert.deepEqual(await logText(engine, overridden.metadata.name!), ['goodbye world']);
  });

  test('global-parameters: workflow.parameters are substituted', async () => {
    const wf = await run(engine, await example('global-parameters'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '1/1');
    assert.deepEqual(await logText(engine, wf.metadata.name!), ['hello world']);
  });

  test('dag-multiroot: roots A and B; C after A; D after A and B', async () => {
    const wf = await run(engine, await example('dag-multiroot'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '4/4');
    const root = wf.status!.nodes![wf.metadata.name!]!;
    assert.deepEqual(root.children?.sort(), [nodeByDisplay(wf, 'A').id, nodeByDisplay(wf, 'B').id].sort());
    assert.deepEqual(nodeByDisplay(wf, 'B').children, [nodeByDisplay(wf, 'D').id]);
    assert.deepEqual(root.outboundNodes?.sort(), [nodeByDisplay(wf, 'C').id, nodeByDisplay(wf, 'D').id].sort());
  });

  test('scripts-bash: the script result (1..100) is passed on', async () => {
    const wf = await run(engine, await example('scripts-bash'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '2/2');
    const result = Number(nodeByDisplay(wf, 'generate').outputs?.result);
    assert.ok(result >= 1 && result <= 100, `result ${result}`);
    assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'print').id), [`result was: ${result}`]);
  });

  test('parameter-aggregation: aggregates, when-skipped odd numbers, 18 nodes', async () => {
    const wf = await run(engine, await example('parameter-aggregation'));
    const name = wf.metadata.name!;
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '10/10');
    assert.equal(nodes(wf).length, 18);
    for (let i = 0; i < 4; i++) assert.ok(nodeByDisplay(wf, `odd-or-even(${i}:${i + 1})`));
    assert.deepEqual(nodeByDisplay(wf, 'print-nums').inputs?.parameters, [{ name: 'message', value: '["1","2","3","4"]' }]);
    assert.deepEqual(nodeByDisplay(wf, 'print-evenness').inputs?.parameters, [{ name: 'message', value: '["odd","even","odd","even"]' }]);
    const skipped = nodeByDisplay(wf, 'divide-by-2(0:evenness:odd,num:1)');
    assert.equal(skipped.type, 'Skipped');
    assert.equal(skipped.phase, 'Skipped');
    assert.equal(skipped.message, "when 'odd == even' evaluated false");
    assert.equal(nodeByDisplay(wf, 'divide-by-2(2:evenness:odd,num:3)').phase, 'Skipped');
    assert.equal(nodeByDisplay(wf, 'divide-by-2(1:evenness:even,num:2)').outputs?.result, '1');
    assert.equal(nodeByDisplay(wf, 'divide-by-2(3:evenness:even,num:4)').outputs?.result, '2');
    assert.deepEqual(await logText(engine, name, nodeByDisplay(wf, 'print(0:1)').id), ['1']);
    assert.deepEqual(await logText(engine, name, nodeByDisplay(wf, 'print(1:2)').id), ['2']);
  });

  test('continue-on-fail: C fails with exit code 1, the group still succeeds, progress 3/4', async () => {
    const wf = await run(engine, await example('continue-on-fail'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '3/4');
    assert.equal(nodes(wf).length, 8);
    const c = nodeByDisplay(wf, 'C');
    assert.equal(c.phase, 'Failed');
    assert.equal(c.message, 'main: Error (exit code 1)');
    assert.equal(c.outputs?.exitCode, '1');
    assert.equal(nodeByDisplay(wf, '[1]').phase, 'Succeeded');
    assert.equal(nodeByDisplay(wf, 'D').phase, 'Succeeded');
  });

  test('loops-sequence: counts, ranges, negative strides and formats', async () => {
    const wf = await run(engine, await example('loops-sequence'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '25/25');
    const expected = [
      ...[0, 1, 2, 3, 4].map((v, i) => `sequence-count(${i}:${v})`),
      ...[100, 101, 102, 103, 104, 105].map((v, i) => `sequence-start-end(${i}:${v})`),
      ...[200, 201, 202].map((v, i) => `sequence-param(${i}:${v})`),
      ...[5, 4, 3, 2, 1, 0].map((v, i) => `sequence-negative(${i}:${v})`),
      ...['00', '01', '02', '03', '04'].map((v, i) => `sequence-format(${i}:testuser${v})`),
    ];
    for (const n of expected) assert.equal(nodeByDisplay(wf, n).phase, 'Succeeded');
  });

  test('coinflip: one branch runs, the other is skipped by its when', async () => {
    const wf = await run(engine, await example('coinflip'));
    assert.equal(wf.status?.phase, 'Succeeded');
    assert.equal(wf.status?.progress, '2/2');
    assert.equal(nodes(wf).length, 6);
    const result = nodeByDisplay(wf, 'flip-coin').outputs?.result;
    assert.ok(result === 'heads' || result === 'tails');
    const other = result === 'heads' ? 'tails' : 'heads';
    const skipped = nodeByDisplay(wf, other);
    assert.equal(skipped.phase, 'Skipped');
    assert.equal(skipped.message, `when '${result} == ${other}' evaluated false`);
    assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, result!).id), [`it was ${result}`]);
  });

  // The example greps /proc/mounts, which only a real mount (bubblewrap) satisfies.
  test(
    'volumes-emptydir: the emptyDir is mounted at /mnt/vol (bubblewrap)',
    { skip: !HAS_BWRAP && 'bubblewrap is not usable here' },
    async () => {
      const wf = await run(engine, await example('volumes-emptydir'));
      assert.equal(wf.status?.phase, 'Succeeded');
      assert.equal(wf.status?.progress, '1/1');
      assert.deepEqual(await logText(engine, wf.metadata.name!), ['Volume mounted and found']);
    },
  );
});
