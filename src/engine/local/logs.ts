/** Node logs: `<wfDir>/nodes/<nodeId>/main.log`, read whole or followed until the workflow finishes. */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { LogLine, NodeStatus, Workflow } from '../types.ts';
import { podName } from './names.ts';

const POLL_MS = 200;

function podNodes(wf: Workflow, only: string | undefined): NodeStatus[] {
  const name = wf.metadata.name!;
  return Object.values(wf.status?.nodes ?? {})
    .filter((n) => n.type === 'Pod')
    .filter((n) => !only || n.id === only || podName(name, n.name, n.templateName ?? '') === only)
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
}

async function readFrom(file: string, offset: number): Promise<Buffer> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return Buffer.alloc(0);
  try {
    const { size } = await fh.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Yields log lines of the workflow's pods; with `follow`, polls `get` until the workflow is finished. */
export async function* streamLogs(
  get: () => Promise<Workflow>,
  wfDir: string,
  options: { node?: string; follow?: boolean },
): AsyncGenerator<LogLine> {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  for (;;) {
    const wf = await get();
    const finished = wf.status?.phase !== 'Running' && wf.status?.phase !== 'Pending';
    for (const node of podNodes(wf, options.node)) {
      const pod = podName(wf.metadata.name!, node.name, node.templateName ?? '');
      const offset = offsets.get(node.id) ?? 0;
      const chunk = await readFrom(path.join(wfDir, 'nodes', node.id, 'main.log'), offset);
      offsets.set(node.id, offset + chunk.length);
      const text = (partial.get(node.id) ?? '') + chunk.toString('utf8');
      const lines = text.split('\n');
      const rest = lines.pop() ?? '';
      const nodeDone = node.phase !== 'Running' && node.phase !== 'Pending';
      partial.set(node.id, nodeDone || !options.follow ? '' : rest);
      for (const content of lines) yield { podName: pod, content };
      if ((nodeDone || !options.follow) && rest !== '') yield { podName: pod, content: rest };
    }
    if (!options.follow || finished) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
