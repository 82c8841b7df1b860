/** A finished pod's output parameters and artifacts (SEMANTICS §1), read without leaving its layer or volumes. */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import type { Obj, RunContext } from '../execution/context.ts';
import { PodSetupError } from '../errors.ts';
import { keyRefusal } from '../admission/artifact-scope.ts';
import type { PodFs } from './mounts.ts';
import { confined } from './confine.ts';
import { exceeded } from './limits.ts';
import type { PodRequest } from './pod.ts';

/**
 * An output path in the pod's layer or volumes, its links resolved without leaving them (a link to a host file
 * reads as missing); without a sandbox, paths the host provides (like /etc/os-release) count too.
 */
async function outputSource(fs: PodFs, podPath: string, hostOutputs: boolean): Promise<string> {
  const own = fs.hostPath(podPath);
  const inPod = await confined(own, fs.bases);
  if (inPod && (await stat(inPod).catch(() => undefined))) return inPod;
  const normal = path.posix.normalize(podPath);
  const onHost = hostOutputs && normal !== '/tmp' && !normal.startsWith('/tmp/') && (await stat(normal).catch(() => undefined));
  return onHost ? normal : path.join(fs.root, '.ogdc-missing');
}

/** Bytes under `file` (links not followed). */
async function treeBytes(file: string): Promise<number> {
  const st = await lstat(file).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(file)) total += await treeBytes(path.join(file, name));
  return total;
}

/** Where the pod's outputs are read from and how big one may be. */
interface OutputPlace {
  fs: PodFs;
  hostOutputs: boolean;
  maxBytes: number;
}

async function collectParameters(ctx: RunContext, node: NodeStatus, req: PodRequest, at: OutputPlace): Promise<void> {
  const outputs = (node.outputs ??= {});
  for (const p of req.tmpl.outputs?.parameters ?? []) {
    const vf = (p.valueFrom ?? {}) as Obj;
    const file = await outputSource(at.fs, String(vf.path), at.hostOutputs);
    let value: string | undefined;
    try {
      if (((await stat(file)).size ?? 0) > at.maxBytes)
        throw new PodSetupError(node.name, `output parameter '${String(p.name)}': ${exceeded(ctx.limits, 'outputMb')}`);
      value = (await readFile(file, 'utf8')).replace(/\n$/, '');
    } catch (err) {
      if (err instanceof PodSetupError) throw err;
      if (vf.default !== undefined) value = String(vf.default);
      else throw new PodSetupError(node.name, `open ${String(vf.path)}: no such file or directory (output parameter '${String(p.name)}')`);
    }
    (outputs.parameters ??= []).push({ name: String(p.name), value });
    if (typeof p.globalName === 'string') ctx.globals[`workflow.outputs.parameters.${p.globalName}`] = value;
  }
}

async function collectArtifacts(ctx: RunContext, node: NodeStatus, req: PodRequest, pod: string, at: OutputPlace): Promise<void> {
  const outputs = (node.outputs ??= {});
  for (const a of req.tmpl.outputs?.artifacts ?? []) {
    const artPath = path.posix.normalize(String(a.path));
    const none = (a.archive as Obj | undefined)?.none !== undefined;
    const explicitKey = (a.s3 as Obj | undefined)?.key;
    const key =
      typeof explicitKey === 'string' ? explicitKey : `${ctx.name}/${pod}/${none ? path.posix.basename(artPath) : `${String(a.name)}.tgz`}`;
    const refused = keyRefusal(ctx.artifactScope, key, 'write');
    if (refused) throw new PodSetupError(node.name, `output artifact '${String(a.name)}': ${refused}`);
    const source = await outputSource(at.fs, artPath, at.hostOutputs);
    if ((await treeBytes(source)) > at.maxBytes)
      throw new PodSetupError(node.name, `output artifact '${String(a.name)}': ${exceeded(ctx.limits, 'outputMb')}`);
    const saved = await ctx.store.save(source, key, none ? 'none' : 'tgz');
    if (!saved) {
      if (a.optional) continue;
      throw new PodSetupError(node.name, `output artifact '${String(a.name)}': ${artPath}: no such file or directory`);
    }
    const ref = { name: String(a.name), path: artPath, s3: { key }, ...(none ? { archive: { none: {} } } : {}) };
    (outputs.artifacts ??= []).push(ref);
    if (typeof a.globalName === 'string')
      ctx.globalArtifacts.set(`workflow.outputs.artifacts.${a.globalName}`, { ...ref, name: a.globalName });
  }
}

/** Reads the template's output parameters and saves its output artifacts into the node's outputs. */
export async function collectOutputs(
  ctx: RunContext,
  node: NodeStatus,
  req: PodRequest,
  fs: PodFs,
  pod: string,
  hostOutputs: boolean,
): Promise<void> {
  const at = { fs, hostOutputs, maxBytes: ctx.limits.outputMb * 1024 * 1024 };
  await collectParameters(ctx, node, req, at);
  await collectArtifacts(ctx, node, req, pod, at);
}
