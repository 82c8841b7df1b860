/**
 * A pod's filesystem (SEMANTICS §12): its own writable layer `<nodeDir>/root` (what the process creates at
 * `/output_dir`, `/tmp`, `/mnt/out`… lands there), volumes bound on top, the host read-only underneath.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus } from '../../types.ts';
import type { Obj, RunContext, Template } from '../execution/context.ts';
import { PodSetupError } from '../errors.ts';
import { hostPathOf, type Mount } from './sandbox-paths.ts';
import { confined } from './confine.ts';
import { outputPrefix } from './host-view.ts';

export interface PodFs {
  /** The pod's own layer; in bubblewrap it is the root the host is bound into. */
  root: string;
  /** Volume mounts, bound (bwrap) or rewritten (no sandbox). */
  volumes: Mount[];
  /**
   * Paths the template declares: artifacts, volume mounts, workingDir, and of output artifacts and parameters
   * what exists before the pod runs (`outputPrefix`: not the folders a program makes for its outputs).
   */
  declared: string[];
  /** Input artifact paths: the host's version of these must not show through. */
  inputs: string[];
  /** The host folders the pod's files live in (its layer, its volumes): the engine opens nothing outside them. */
  bases: string[];
  /** Where a pod path lives on the host. */
  hostPath(podPath: string): string;
}

/** `base/rel` for a relative `rel` without `..` components (names from the manifest never climb or jump). */
function safeJoin(base: string, rel: string, what: string, nodeName: string): string {
  if (path.posix.isAbsolute(rel) || rel.split('/').includes('..') || rel.includes('\0'))
    throw new PodSetupError(nodeName, `${what} '${rel}' must be a relative path without '..'`);
  return path.join(base, rel);
}

/** The host folder of a named volume, per Argo's lookup order: template volumes, spec.volumes, volumeClaimTemplates. */
function volumeFolder(ctx: RunContext, tmpl: Template, name: string, nodeDir: string, nodeName: string): string {
  const find = (list: unknown) => (Array.isArray(list) ? (list as Obj[]).find((v) => v.name === name) : undefined);
  const vol = find(tmpl.volumes) ?? find(ctx.spec.volumes);
  if (vol) {
    if (vol.emptyDir !== undefined) return path.join(nodeDir, 'volumes', name);
    const claim = (vol.persistentVolumeClaim as Obj | undefined)?.claimName;
    if (typeof claim === 'string' && claim) return safeJoin(path.join(ctx.dataDir, 'volumes'), claim, 'claimName', nodeName);
  }
  const claimTemplates = (ctx.spec.volumeClaimTemplates as Obj[] | undefined) ?? [];
  if (claimTemplates.some((c) => (c.metadata as Obj | undefined)?.name === name)) return path.join(ctx.wfDir, 'volumes', name);
  throw new PodSetupError(nodeName, `volume '${name}' not found in workflow spec`);
}

/** The paths a pod template declares, and the host folders behind its volumes. */
export type PodPaths = Pick<PodFs, 'volumes' | 'declared' | 'inputs'> & { workingDir?: string };

/** Resolves the template's volumes and declared paths (no folders are created yet). */
export function podPaths(ctx: RunContext, node: NodeStatus, tmpl: Template, nodeDir: string): PodPaths {
  const body = (tmpl.container ?? tmpl.script ?? {}) as Obj;
  // Substituted values are checked again here: a relative or climbing pod path is refused (admission.ts checks
  // the literal manifest at submit).
  const podPath = (p: unknown, what: string) => {
    if (p === undefined) return undefined;
    if (typeof p !== 'string' || !p.startsWith('/') || p.split('/').includes('..') || p.includes('\0'))
      throw new PodSetupError(node.name, `${what} '${String(p)}' must be an absolute path without '..'`);
    return path.posix.normalize(p);
  };
  const volumes: Mount[] = [];
  for (const vm of (body.volumeMounts as Obj[] | undefined) ?? []) {
    const folder = volumeFolder(ctx, tmpl, String(vm.name), nodeDir, node.name);
    const host = vm.subPath ? safeJoin(folder, String(vm.subPath), 'subPath', node.name) : folder;
    volumes.push({ path: podPath(String(vm.mountPath ?? ''), 'mountPath')!, host, readOnly: vm.readOnly === true, base: folder });
  }
  for (const a of tmpl.inputs?.artifacts ?? []) podPath(a.path, `input artifact '${a.name}' path`);
  for (const a of tmpl.outputs?.artifacts ?? []) podPath(a.path, `output artifact '${String(a.name)}' path`);
  for (const p of tmpl.outputs?.parameters ?? [])
    podPath((p.valueFrom as Obj | undefined)?.path, `output parameter '${String(p.name)}' path`);
  podPath(body.workingDir, 'workingDir');
  const declared = [...(tmpl.inputs?.artifacts ?? []).map((a) => a.path), ...volumes.map((v) => v.path), body.workingDir]
    .filter((p): p is string => typeof p === 'string' && p.startsWith('/'))
    .map((p) => path.posix.normalize(p));
  const outputs = [
    ...(tmpl.outputs?.artifacts ?? []).map((a) => a.path),
    ...(tmpl.outputs?.parameters ?? []).map((p) => (p.valueFrom as Obj | undefined)?.path),
  ].filter((p): p is string => typeof p === 'string' && p.startsWith('/'));
  // Under a volume the path stays whole: the volume is mounted there anyway.
  for (const p of outputs.map((o) => path.posix.normalize(o))) declared.push(hostPathOf(volumes, p) !== undefined ? p : outputPrefix(p));
  const inputs = (tmpl.inputs?.artifacts ?? [])
    .map((a) => a.path)
    .filter((p): p is string => typeof p === 'string')
    .map((p) => path.posix.normalize(p));
  return { volumes, declared, inputs, workingDir: typeof body.workingDir === 'string' ? body.workingDir : undefined };
}

/** The pod filesystem on the layer `root`: creates its /tmp (unless the layer has one), volumes and working folder. */
export async function podFs(paths: PodPaths, root: string, layerReady = false): Promise<PodFs> {
  const { volumes, declared, inputs, workingDir } = paths;
  if (!layerReady) await mkdir(path.join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  // A sub-folder of a shared volume may be a link an earlier pod planted: bound, it would open the host.
  for (const v of volumes) {
    const base = v.base ?? v.host;
    await mkdir(base, { recursive: true });
    const real = await confined(v.host, [base]);
    if (!real) throw new PodSetupError('pod', `volume mount ${v.path}: its subPath leads outside the volume`);
    await mkdir(real, { recursive: true });
    v.host = real;
  }
  const hostPath = (p: string) => hostPathOf(volumes, path.posix.normalize(p)) ?? path.join(root, p);
  const bases = [root, ...volumes.map((v) => v.host)];
  if (workingDir !== undefined) {
    const dir = await confined(hostPath(workingDir), bases);
    if (!dir) throw new PodSetupError('pod', `workingDir ${workingDir} leads outside the pod`);
    await mkdir(dir, { recursive: true });
  }
  return { root, volumes, declared, inputs, bases, hostPath };
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return true;
  }
}

/**
 * Without a sandbox, the declared paths are rewritten in command, args, source and env. A path is rewritten from
 * its first component when the host does not use that folder (`/mnt/out` → `<root>/mnt/out`, so a script may
 * `mkdir /mnt/out` as in its image), else exactly; `/tmp` always moves into the pod's layer.
 */
export async function rewriteMounts(fs: PodFs): Promise<Mount[]> {
  const mounts: Mount[] = [...fs.volumes, { path: '/tmp', host: path.join(fs.root, 'tmp') }];
  for (const p of fs.declared) {
    if (hostPathOf(mounts, p) !== undefined) continue;
    const first = `/${p.split('/')[1]}`;
    const prefix = (await isEmptyOrMissing(first)) ? first : p;
    if (mounts.some((m) => m.path === prefix)) continue;
    const host = path.join(fs.root, prefix);
    // The folder above a declared path exists in any image; the declared path itself is the program's to create.
    await mkdir(prefix !== p ? host : path.dirname(host), { recursive: true });
    mounts.push({ path: prefix, host });
  }
  return mounts;
}
