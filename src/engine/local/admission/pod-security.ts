/**
 * Admission of a workflow by the local engine (DESIGN §9), after the subset check: what a pod asks for that the
 * sandbox cannot give a "restricted" pod (privilege, root, added capabilities, host namespaces or paths), paths
 * that climb or are relative, names that are not DNS-1123, and artifact keys that leave the artifact store are
 * refused at submit, naming the field. Values with `{{…}}` tags are checked in their literal parts here and again
 * by the pod layer once substituted.
 */
import { ManifestRejectedError } from '../../errors.ts';
import type { Workflow } from '../../types.ts';
import { keyRefusal, UPLOADS_ROOT, type ArtifactScope } from './artifact-scope.ts';
import { USE_ARGO } from './shape.ts';

type Obj = Record<string, unknown>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function reject(field: string, message: string): never {
  throw new ManifestRejectedError(`${field}: ${message}`, field);
}

const templated = (v: string) => v.includes('{{');
const climbs = (v: string) => v.split('/').includes('..') || v.includes('\0');

/** A pod path: absolute (unless it starts with a tag), no `..` component. */
function checkPodPath(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value === '') reject(field, 'must be an absolute path');
  if (climbs(value)) reject(field, `'${value}' must not contain '..'`);
  if (!value.startsWith('/') && !value.startsWith('{{')) reject(field, `'${value}' must be an absolute path`);
}

/** A path below a volume or an artifact key: relative, no `..` component. */
function checkRelative(value: unknown, field: string, what: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string') reject(field, `${what} must be a string`);
  if (value.startsWith('/') || climbs(value)) reject(field, `${what} '${value}' must be relative and must not contain '..'`);
}

function checkName(value: unknown, field: string, subdomain = false): void {
  if (typeof value !== 'string' || templated(value)) return;
  const ok = subdomain ? DNS_SUBDOMAIN.test(value) && value.length <= 253 : DNS_LABEL.test(value) && value.length <= 63;
  if (!ok)
    reject(
      field,
      `'${value}' is not a valid DNS-1123 ${subdomain ? 'subdomain' : 'label'} (lower-case letters, digits and '-'${subdomain ? ", '.'" : ''}, starting and ending with a letter or digit)`,
    );
}

/** A securityContext (container or pod level) asking for what a restricted pod cannot have. */
function checkSecurityContext(sc: unknown, field: string): void {
  if (sc === null || typeof sc !== 'object') return;
  const s = sc as Obj;
  // What a cluster can grant a pod and a step on this machine never gets.
  const clusterOnly = (f: string, message: string) => reject(f, `${message}; ${USE_ARGO}`);
  if (s.privileged === true) clusterOnly(`${field}.privileged`, 'privileged containers are refused by the local engine');
  if (s.allowPrivilegeEscalation === true)
    clusterOnly(`${field}.allowPrivilegeEscalation`, 'privilege escalation is refused by the local engine');
  if (s.runAsUser === 0 || s.runAsUser === '0') clusterOnly(`${field}.runAsUser`, 'running as root (uid 0) is refused by the local engine');
  if (s.runAsGroup === 0 || s.runAsGroup === '0') clusterOnly(`${field}.runAsGroup`, 'running as group 0 is refused by the local engine');
  if (s.runAsNonRoot === false) clusterOnly(`${field}.runAsNonRoot`, 'steps never run as root on the local engine');
  const add = (s.capabilities as Obj | undefined)?.add;
  if (Array.isArray(add) && add.length > 0) clusterOnly(`${field}.capabilities.add`, 'added capabilities are refused by the local engine');
  if (s.procMount !== undefined && s.procMount !== 'Default') clusterOnly(`${field}.procMount`, 'only the default /proc is allowed');
  if (Array.isArray(s.sysctls) && s.sysctls.length > 0) clusterOnly(`${field}.sysctls`, 'sysctls are refused by the local engine');
  const seccomp = (s.seccompProfile as Obj | undefined)?.type;
  if (seccomp === 'Unconfined') clusterOnly(`${field}.seccompProfile.type`, 'an unconfined seccomp profile is refused by the local engine');
}

/** Checks an artifact's `s3.key` (a read from the store or a write to it). */
type KeyCheck = (key: unknown, field: string, direction: 'read' | 'write') => void;

const relativeKey: KeyCheck = (key, field) => checkRelative(key, field, 's3.key');

function checkArtifacts(list: unknown, field: string, keyCheck: KeyCheck, direction: 'read' | 'write'): void {
  if (!Array.isArray(list)) return;
  (list as Obj[]).forEach((a, i) => {
    checkPodPath(a.path, `${field}[${i}].path`);
    keyCheck((a.s3 as Obj | undefined)?.key, `${field}[${i}].s3.key`, direction);
  });
}

function checkVolumes(list: unknown, field: string): void {
  if (!Array.isArray(list)) return;
  (list as Obj[]).forEach((v, i) => {
    checkName(v.name, `${field}[${i}].name`);
    checkName((v.persistentVolumeClaim as Obj | undefined)?.claimName, `${field}[${i}].persistentVolumeClaim.claimName`, true);
  });
}

function checkTemplate(t: Obj, field: string, keyCheck: KeyCheck): void {
  checkSecurityContext(t.securityContext, `${field}.securityContext`);
  checkVolumes(t.volumes, `${field}.volumes`);
  const inputs = t.inputs as Obj | undefined;
  const outputs = t.outputs as Obj | undefined;
  checkArtifacts(inputs?.artifacts, `${field}.inputs.artifacts`, keyCheck, 'read');
  checkArtifacts(outputs?.artifacts, `${field}.outputs.artifacts`, keyCheck, 'write');
  ((outputs?.parameters as Obj[] | undefined) ?? []).forEach((p, i) =>
    checkPodPath((p.valueFrom as Obj | undefined)?.path, `${field}.outputs.parameters[${i}].valueFrom.path`),
  );
  for (const kind of ['container', 'script'] as const) {
    const body = t[kind] as Obj | undefined;
    if (!body) continue;
    const here = `${field}.${kind}`;
    checkSecurityContext(body.securityContext, `${here}.securityContext`);
    checkPodPath(body.workingDir, `${here}.workingDir`);
    ((body.volumeMounts as Obj[] | undefined) ?? []).forEach((m, i) => {
      checkName(m.name, `${here}.volumeMounts[${i}].name`);
      checkPodPath(m.mountPath, `${here}.volumeMounts[${i}].mountPath`);
      checkRelative(m.subPath, `${here}.volumeMounts[${i}].subPath`, 'subPath');
    });
  }
  for (const kind of ['sidecars', 'initContainers'] as const)
    ((t[kind] as Obj[] | undefined) ?? []).forEach((c, i) =>
      checkSecurityContext(c?.securityContext, `${field}.${kind}[${i}].securityContext`),
    );
  const set = t.containerSet as Obj | undefined;
  ((set?.containers as Obj[] | undefined) ?? []).forEach((c, i) => {
    checkSecurityContext(c?.securityContext, `${field}.containerSet.containers[${i}].securityContext`);
    checkPodPath(c?.workingDir, `${field}.containerSet.containers[${i}].workingDir`);
  });
  ((set?.volumeMounts as Obj[] | undefined) ?? []).forEach((m, i) => {
    checkName(m.name, `${field}.containerSet.volumeMounts[${i}].name`);
    checkPodPath(m.mountPath, `${field}.containerSet.volumeMounts[${i}].mountPath`);
    checkRelative(m.subPath, `${field}.containerSet.volumeMounts[${i}].subPath`, 'subPath');
  });
  const calls: Array<[Obj, string]> = [];
  if (Array.isArray(t.steps))
    (t.steps as Obj[][]).forEach((g, gi) => (g ?? []).forEach((s, si) => calls.push([s, `${field}.steps[${gi}][${si}]`])));
  ((t.dag as Obj | undefined)?.tasks as Obj[] | undefined)?.forEach((task, ti) => calls.push([task, `${field}.dag.tasks[${ti}]`]));
  for (const [call, cp] of calls) {
    if (call.inline && typeof call.inline === 'object') checkTemplate(call.inline as Obj, `${cp}.inline`, keyCheck);
    const args = call.arguments as Obj | undefined;
    ((args?.artifacts as Obj[] | undefined) ?? []).forEach((a, i) =>
      keyCheck((a.s3 as Obj | undefined)?.key, `${cp}.arguments.artifacts[${i}].s3.key`, 'read'),
    );
  }
}

/** Throws ManifestRejectedError naming the first field the sandbox must not grant. */
export function checkAdmission(wf: Workflow): void {
  const spec = wf.spec as Obj;
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'])
    if (spec[key] !== undefined) reject(`spec.${key}`, `host namespaces are refused by the local engine; ${USE_ARGO}`);
  checkSecurityContext(spec.securityContext, 'spec.securityContext');
  checkVolumes(spec.volumes, 'spec.volumes');
  ((spec.volumeClaimTemplates as Obj[] | undefined) ?? []).forEach((c, i) =>
    checkName((c.metadata as Obj | undefined)?.name, `spec.volumeClaimTemplates[${i}].metadata.name`),
  );
  walkKeys(wf, relativeKey);
}

/** Calls `keyCheck` for every `s3.key` of the manifest (workflow arguments, template inputs, outputs, call arguments). */
function walkKeys(wf: Workflow, keyCheck: KeyCheck): void {
  const spec = wf.spec as Obj;
  const args = spec.arguments as Obj | undefined;
  ((args?.artifacts as Obj[] | undefined) ?? []).forEach((a, i) =>
    keyCheck((a.s3 as Obj | undefined)?.key, `spec.arguments.artifacts[${i}].s3.key`, 'read'),
  );
  ((spec.templates as Obj[] | undefined) ?? []).forEach((t, i) => checkTemplate(t, `spec.templates[${i}]`, keyCheck));
}

/**
 * Refuses literal `s3.key`s outside a confined workflow's scope (artifact-scope.ts), naming the field; keys with
 * `{{…}}` tags are checked by the pod layer once substituted.
 */
export function checkArtifactKeys(wf: Workflow, scope: ArtifactScope | undefined): void {
  if (!scope) return;
  // Its own prefix would then cover every upload.
  if (wf.metadata.name === UPLOADS_ROOT)
    reject('metadata.name', `'${UPLOADS_ROOT}' is where the service keeps uploaded inputs; a submitted workflow cannot take that name`);
  walkKeys(wf, (key, field, direction) => {
    if (typeof key !== 'string' || templated(key)) return;
    const why = keyRefusal(scope, key, direction);
    if (why) reject(field, why);
  });
}
