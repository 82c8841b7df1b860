import assert from 'node:assert/strict';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_LINE, streamLogs } from '../../src/engine/local/pods/logs.ts';
import type { Workflow } from '../../src/engine/types.ts';

const MB = 1024 * 1024;
let dir: string;
const wf: Workflow = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'big-log' },
  spec: {},
  status: { phase: 'Succeeded', nodes: { n1: { id: 'n1', name: 'big-log', type: 'Pod', phase: 'Succeeded', templateName: 'main' } } },
} as unknown as Workflow;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ogdc-logs-'));
  mkdirSync(path.join(dir, 'nodes', 'n1'), { recursive: true });
  // 200 MB: 4000-byte numbered lines, then one 200 KB line without a newline.
  const out = createWriteStream(path.join(dir, 'nodes', 'n1', 'main.log'));
  const block = Array.from({ length: 250 }, (_, i) => `${String(i).padStart(8, '0')} ${'x'.repeat(3990)}\n`).join('');
  for (let i = 0; i < (200 * MB) / block.length; i++) if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  out.write('y'.repeat(200 * 1024));
  await new Promise<void>((r) => out.end(() => r()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('local engine logs are read in chunks', () => {
  it('streams a 200 MB log with memory bounded far below its size', async () => {
    globalThis.gc?.();
    const base = process.memoryUsage().rss;
    let lines = 0;
    let peak = 0;
    let longest = 0;
    for await (const line of streamLogs(async () => wf, dir, {})) {
      lines++;
      longest = Math.max(longest, line.content.length);
      if (lines % 1000 === 0) peak = Math.max(peak, process.memoryUsage().rss - base);
    }
    const blocks = Math.ceil((200 * MB) / 1_000_000);
    assert.equal(lines, blocks * 250 + Math.ceil((200 * 1024) / MAX_LINE));
    assert.equal(longest, MAX_LINE, 'a long line is cut into pieces');
    assert.ok(peak < 100 * MB, `RSS grew by ${Math.round(peak / MB)} MB while streaming 200 MB`);
  });

  it('tail_bytes and offset start mid-file at the next whole line', async () => {
    const tail: string[] = [];
    for await (const line of streamLogs(async () => wf, dir, { tailBytes: 200 * 1024 + 6000 })) tail.push(line.content);
    assert.equal(tail[0]!.length, 3999, 'the first whole line after the cut');
    assert.match(tail[0]!, /^\d{8} x+$/);
    assert.equal(tail.slice(-Math.ceil((200 * 1024) / MAX_LINE)).join(''), 'y'.repeat(200 * 1024));
    const fromOffset: string[] = [];
    for await (const line of streamLogs(async () => wf, dir, { offset: 4500 })) {
      fromOffset.push(line.content);
      if (fromOffset.length === 2) break;
    }
    assert.deepEqual(
      fromOffset.map((l) => l.slice(0, 8)),
      ['00000002', '00000003'],
    );
  });
});
