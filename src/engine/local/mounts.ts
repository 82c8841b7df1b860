/** The host folders behind a pod's declared paths (SEMANTICS §12): volumes, /tmp, artifact paths. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NodeStatus } from '../types.ts';
import type { Obj, RunContext, Template } from './context.ts';
import { PodSetupError } from './errors.ts';
import { hostPathOf, type Mount } from './sandbox.ts';

function safeJoin(base: string, rel: string, what: string, nodeName: string): string {
  const joined = path.join(base, rel);
  if (joined !== base && !joined.startsWith(base + path.sep)) throw new PodSetupError(nodeName, `${what} '${rel}' leaves its volume`);
  return joined;
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

/** Every declared path of the pod and its host folder, created on disk. */
export async function podMounts(ctx: RunContext, node: NodeStatus, tmpl: Template, nodeDir: string): Promise<Mount[]> {
  const body = (tmpl.container ?? tmpl.script ?? {}) as Obj;
  const root = path.join(nodeDir, 'root');
  const mounts: Mount[] = [{ path: '/tmp', host: path.join(root, 'tmp') }];
  for (const vm of (body.volumeMounts as Obj[] | undefined) ?? []) {
    const folder = volumeFolder(ctx, tmpl, String(vm.name), nodeDir, node.name);
    const host = vm.subPath ? safeJoin(folder, String(vm.subPath), 'subPath', node.name) : folder;
    mounts.push({ path: path.posix.normalize(String(vm.mountPath)), host });
  }
  const covered = (p: string) => hostPathOf(mounts, p) !== undefined;
  // Inputs are mounted at their own path; outputs at their parent folder so a file written there is kept.
  for (const a of tmpl.inputs?.artifacts ?? []) {
    const p = typeof a.path === 'string' ? path.posix.normalize(a.path) : undefined;
    if (p && !covered(p)) mounts.push({ path: p, host: path.join(root, p) });
  }
  const outputPaths = [
    ...(tmpl.outputs?.artifacts ?? []).map((a) => a.path),
    ...(tmpl.outputs?.parameters ?? []).map((p) => (p.valueFrom as Obj | undefined)?.path),
  ];
  for (const raw of outputPaths) {
    if (typeof raw !== 'string') continue;
    const p = path.posix.normalize(raw);
    if (covered(p)) continue;
    const dir = path.posix.dirname(p) === '/' ? p : path.posix.dirname(p);
    mounts.push({ path: dir, host: path.join(root, dir) });
  }
  const inputs = new Set((tmpl.inputs?.artifacts ?? []).map((a) => (typeof a.path === 'string' ? path.posix.normalize(a.path) : '')));
  // An input's host path is created when the artifact is loaded (it may be a file); only its parent exists now.
  await Promise.all(mounts.map((m) => mkdir(inputs.has(m.path) ? path.dirname(m.host) : m.host, { recursive: true })));
  return mounts;
}
