// A pod with no declared paths, volumes or script runs on a fresh tmpfs `/` (no layer on the host): writable as
// a layer is, capped at the size of /tmp, and nothing it writes reaches the host's disk.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { bwrapWorks } from '../../../src/engine/local/pods/sandbox-paths.ts';
import { harness, logText, nodeByDisplay, run, shellPod } from './helpers.ts';

const bwrapOnly = { skip: !(await bwrapWorks()) && 'bubblewrap is not usable here' };

test(
  'a pod without declared paths writes to a size-capped tmpfs root that leaves nothing on the host',
  { ...bwrapOnly, timeout: 180_000 },
  async (t) => {
    const h = await harness(t, { sandbox: 'bwrap', limits: { tmpMb: 4 } });
    const marker = `written-by-the-pod-${process.pid}`;
    const small = await run(h.engine, shellPod('{name: small}', `echo ${marker} > /${marker} && cat /${marker} && stat -f -c %T /`));
    assert.equal(small.status?.phase, 'Succeeded', nodeByDisplay(small, 'small').message);
    assert.deepEqual(await logText(h.engine, 'small'), [marker, 'tmpfs']);
    const onHost = execFileSync('find', [h.dataDir, '-name', marker], { encoding: 'utf8' });
    assert.equal(onHost, '', 'the file never reached the data folder');
    const big = await run(h.engine, shellPod('{name: big}', 'dd if=/dev/zero of=/big bs=1M count=8'));
    const node = nodeByDisplay(big, 'big');
    assert.equal(node.phase, 'Failed');
    assert.match(node.message ?? '', /OGDC_LOCAL_STEP_TMP_MB \(4\)/);
    // /tmp is a folder of that tmpfs (no second mount): everyone may write there, within the same cap.
    const tmp = await run(h.engine, shellPod('{name: tmp}', 'stat -c %a /tmp && dd if=/dev/zero of=/tmp/big bs=1M count=8'));
    assert.equal(nodeByDisplay(tmp, 'tmp').phase, 'Failed');
    assert.match(nodeByDisplay(tmp, 'tmp').message ?? '', /OGDC_LOCAL_STEP_TMP_MB \(4\)/);
    assert.equal((await logText(h.engine, 'tmp'))[0], '1777');
  },
);
