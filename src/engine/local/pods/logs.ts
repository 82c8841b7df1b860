/** Node logs: `<wfDir>/nodes/<nodeId>/main.log`, read in chunks (from an offset or a tail) or followed until the workflow finishes. */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { LogLine, NodeStatus, Workflow } from '../../types.ts';
import { podName } from '../state/names.ts';

const POLL_MS = 200;

function podNodes(wf: Workflow, only: string | undefined): NodeStatus[] {
  const name = wf.metadata.name!;
  return Object.values(wf.status?.nodes ?? {})
    .filter((n) => n.type === 'Pod')
    .filter((n) => !only || n.id === only || podName(name, n.name, n.templateName ?? '') === only)
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
}

/** Bytes read at a time: a log is never held whole, however large. */
const CHUNK = 64 * 1024;
/** A line longer than this is cut into pieces of this size. */
export const MAX_LINE = 64 * 1024;

/** Where reading a node's log starts: `offset`, or `tailBytes` before its end. */
async function startOf(file: string, options: { offset?: number; tailBytes?: number }): Promise<number> {
  if (options.tailBytes === undefined) return options.offset ?? 0;
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  return Math.max(0, size - options.tailBytes);
}

/** The bytes of `file` from `offset` to its current end, a chunk at a time; a missing file has none. */
async function* chunksFrom(file: string, offset: number): AsyncGenerator<Buffer> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(CHUNK);
    for (let at = offset; at < size;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - at), at);
      if (bytesRead === 0) return;
      at += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

/** Yields log lines of the workflow's pods; with `follow`, polls `get` until the workflow is finished. */
export async function* streamLogs(
  get: () => Promise<Workflow>,
  wfDir: string,
  options: { node?: string; follow?: boolean; offset?: number; tailBytes?: number },
): AsyncGenerator<LogLine> {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  // One decoder per node: a character split between two chunks is decoded whole.
  const decoders = new Map<string, StringDecoder>();
  for (;;) {
    const wf = await get();
    const finished = wf.status?.phase !== 'Running' && wf.status?.phase !== 'Pending';
    for (const node of podNodes(wf, options.node)) {
      const pod = podName(wf.metadata.name!, node.name, node.templateName ?? '');
      const file = path.join(wfDir, 'nodes', node.id, 'main.log');
      let offset = offsets.get(node.id);
      // Starting mid-file: the text before the first newline is the end of a line not shown.
      let skipFirst = false;
      if (offset === undefined) {
        offset = await startOf(file, options);
        skipFirst = offset > 0;
      }
      let rest = partial.get(node.id) ?? '';
      const decoder = decoders.get(node.id) ?? new StringDecoder('utf8');
      decoders.set(node.id, decoder);
      for await (const chunk of chunksFrom(file, offset)) {
        offset += chunk.length;
        const lines = (rest + decoder.write(chunk)).split('\n');
        rest = lines.pop() ?? '';
        if (skipFirst && lines.length > 0) {
          lines.shift();
          skipFirst = false;
        }
        for (const content of lines) yield* pieces(pod, content);
        if (rest.length > MAX_LINE && !skipFirst) {
          yield* pieces(pod, rest);
          rest = '';
        }
      }
      offsets.set(node.id, offset);
      const nodeDone = node.phase !== 'Running' && node.phase !== 'Pending';
      partial.set(node.id, nodeDone || !options.follow ? '' : rest);
      if ((nodeDone || !options.follow) && rest !== '' && !skipFirst) yield* pieces(pod, rest);
    }
    if (!options.follow || finished) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function* pieces(podName: string, content: string): Generator<LogLine> {
  if (content.length <= MAX_LINE) return void (yield { podName, content });
  for (let i = 0; i < content.length; i += MAX_LINE) yield { podName, content: content.slice(i, i + MAX_LINE) };
}
