/**
 * The part of Argo the local engine runs (DESIGN §6). Anything outside it is refused at submit, naming the
 * field, so nothing is silently ignored.
 */
import { ManifestRejectedError } from '../../errors.ts';
import type { Workflow } from '../../types.ts';
import { dependsTasks, parseDepends } from '../expressions/depends.ts';
import { DependsExpressionError, ExpressionError } from '../errors.ts';
import { parseExpression } from '../expressions/expr.ts';
import { tagsIn } from '../expressions/substitute.ts';
import { knownEntrypoint } from '../pods/images.ts';
import { durationSeconds } from '../expressions/durations.ts';
import { checkContainerSet } from './container-set.ts';

type Obj = Record<string, unknown>;

/** What every refusal of a feature the local engine lacks ends with. */
export const USE_ARGO = 'use the Argo engine (ARGO_WORKFLOWS_SERVICE_URL)';
/** Allowed keys → how to check the value (`true`: accept as is). */
type Shape = { [key: string]: true | Shape | ((value: unknown, path: string) => void) };

const listOf = (shape: Shape) => (value: unknown, path: string) => {
  if (!Array.isArray(value)) return;
  value.forEach((v, i) => checkShape(v, shape, `${path}[${i}]`));
};

const S3: Shape = { key: true };
const ARCHIVE: Shape = { none: true, tar: true };
const ARTIFACT: Shape = {
  globalName: true,
  fromExpression: (value, path) => checkExpression(String(value), path),
  name: true,
  path: true,
  from: true,
  s3: S3,
  raw: { data: true },
  archive: ARCHIVE,
  optional: true,
  mode: true,
  // Deleted from the artifact store at its strategy's moment (execution/artifact-gc.ts); no GC pod runs here.
  artifactGC: { strategy: true, serviceAccountName: true, podMetadata: true },
};
const PARAMETER: Shape = {
  name: true,
  value: true,
  default: true,
  enum: true,
  description: true,
  // configMapKeyRef is resolved at submit (configmaps.ts); supplied only on suspend outputs.
  valueFrom: { default: true },
};
const OUTPUT_PARAMETER: Shape = {
  name: true,
  globalName: true,
  description: true,
  valueFrom: { path: true, default: true, parameter: true, expression: true, supplied: true },
};
const HTTP_ARTIFACT: Shape = { url: true, headers: listOf({ name: true, value: true }) };
const GIT_ARTIFACT: Shape = {
  repo: true,
  revision: true,
  depth: true,
  fetch: true,
  singleBranch: true,
  branch: true,
  disableSubmodules: true,
};
const ARGUMENTS: Shape = {
  parameters: listOf(PARAMETER),
  artifacts: listOf({
    name: true,
    from: true,
    // A path inside the `from` artifact (execution/invoke.ts); relative, without `..`.
    subPath: (value, path) => {
      const p = String(value);
      if (p.startsWith('/') || p.split('/').includes('..')) reject(path, `'${p}' must be a relative path without '..'`);
    },
    s3: S3,
    raw: { data: true },
    optional: true,
    http: HTTP_ARTIFACT,
    git: GIT_ARTIFACT,
  }),
};
const VOLUME_MOUNT: Shape = { name: true, mountPath: true, subPath: true, readOnly: true };
const VOLUME: Shape = { name: true, emptyDir: true, persistentVolumeClaim: { claimName: true, readOnly: true } };
/** A selector for a Windows node (`kubernetes.io/os: windows`): the local engine's one node runs Linux. */
const NODE_SELECTOR = (value: unknown, path: string) => {
  for (const key of ['kubernetes.io/os', 'beta.kubernetes.io/os']) {
    const os = (value as Obj | null | undefined)?.[key];
    if (typeof os === 'string' && os !== 'linux' && !os.includes('{{'))
      reject(`${path}.${key}`, `'${os}' nodes are not available: the local engine runs Linux processes on this machine; ${USE_ARGO}`);
  }
};
/** A probe's port: a number (named ports need the image's metadata). */
const PROBE_PORT = (value: unknown, path: string) => {
  if (typeof value === 'string' && !/^\d+$/.test(value) && !value.includes('{{'))
    reject(path, `named port '${value}' is not supported by the local engine (images are not pulled); give the number`);
};
const PROBE: Shape = {
  exec: { command: true },
  httpGet: { path: true, port: PROBE_PORT, host: true, scheme: true, httpHeaders: listOf({ name: true, value: true }) },
  tcpSocket: { port: PROBE_PORT, host: true },
  initialDelaySeconds: true,
  periodSeconds: true,
  timeoutSeconds: true,
  successThreshold: true,
  failureThreshold: true,
};
const CONTAINER: Shape = {
  name: true,
  image: true,
  command: true,
  args: true,
  env: listOf({ name: true, value: true }),
  workingDir: true,
  resources: true,
  imagePullPolicy: true,
  volumeMounts: listOf(VOLUME_MOUNT),
  securityContext: true,
  readinessProbe: PROBE,
  ports: true,
};
/**
 * Sidecars and init containers (pods/containers.ts) see the pod's volumes as main mounts them (as with
 * `mirrorVolumeMounts`); their own volumeMounts and workingDir are refused.
 */
const OTHER_CONTAINER: Shape = {
  name: true,
  image: true,
  command: true,
  args: true,
  env: listOf({ name: true, value: true }),
  resources: true,
  imagePullPolicy: true,
  securityContext: true,
  mirrorVolumeMounts: true,
  readinessProbe: PROBE,
  ports: true,
};
const SYNC_REF: Shape = { name: true, namespace: true, database: true };
const SYNCHRONIZATION: Shape = {
  mutexes: listOf(SYNC_REF),
  mutex: SYNC_REF,
  semaphores: listOf({ configMapKeyRef: { name: true, key: true, optional: true }, database: { key: true }, namespace: true }),
  semaphore: { configMapKeyRef: { name: true, key: true, optional: true }, database: { key: true }, namespace: true },
};
const HOOK: Shape = { template: true, arguments: ARGUMENTS, expression: true };
const HOOKS = (value: unknown, path: string) => {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Obj)) checkShape(v, HOOK, `${path}.${k}`);
};
const LOOP_AND_CALL: Shape = {
  name: true,
  onExit: true,
  hooks: HOOKS,
  template: true,
  arguments: ARGUMENTS,
  when: true,
  withItems: true,
  withParam: true,
  withSequence: { start: true, end: true, count: true, format: true },
  continueOn: { error: true, failed: true },
  // Checked lazily: TEMPLATE is defined below and contains LOOP_AND_CALL.
  inline: (value, path) => checkShape(value, { ...TEMPLATE, name: true }, path),
};
const TEMPLATE: Shape = {
  name: true,
  container: CONTAINER,
  daemon: true,
  sidecars: listOf(OTHER_CONTAINER),
  initContainers: listOf(OTHER_CONTAINER),
  script: { ...CONTAINER, source: true },
  // Each container a process of the one pod (pods/container-set.ts); admission/container-set.ts checks the graph.
  containerSet: {
    containers: listOf({ ...CONTAINER, dependencies: true }),
    volumeMounts: listOf(VOLUME_MOUNT),
    retryStrategy: { retries: true, duration: true },
  },
  steps: (value, path) => {
    if (!Array.isArray(value)) return;
    value.forEach((group, g) => listOf(LOOP_AND_CALL)(group, `${path}[${g}]`));
  },
  http: {
    url: true,
    method: true,
    headers: listOf({ name: true, value: true }),
    body: true,
    bodyFrom: { bytes: true },
    timeoutSeconds: true,
    insecureSkipVerify: true,
    // Its {{tags}} are substituted before it is evaluated; check the syntax with placeholders.
    successCondition: (value, path) => checkExpression(String(value).replace(/\{\{[^{}]*\}\}/g, 'true'), path),
  },
  data: {
    source: { artifactPaths: { name: true, s3: { bucket: true, key: true } } },
    transformation: listOf({ expression: (value, path) => checkExpression(String(value).replace(/\{\{[^{}]*\}\}/g, 'true'), path) }),
  },
  suspend: {
    duration: (value, path) => {
      if (!String(value).includes('{{') && durationSeconds(value) === undefined) reject(path, `invalid duration '${String(value)}'`);
    },
  },
  dag: { tasks: listOf({ ...LOOP_AND_CALL, depends: true, dependencies: true }), target: true, failFast: true },
  inputs: {
    parameters: listOf(PARAMETER),
    artifacts: listOf({
      ...ARTIFACT,
      http: HTTP_ARTIFACT,
      git: GIT_ARTIFACT,
    }),
  },
  outputs: { parameters: listOf(OUTPUT_PARAMETER), artifacts: listOf(ARTIFACT) },
  retryStrategy: {
    limit: true,
    retryPolicy: true,
    backoff: { duration: true, factor: true, maxDuration: true, cap: true },
    // Its {{tags}} are substituted before it is evaluated; check the syntax with placeholders.
    expression: (value, path) => checkExpression(String(value).replace(/\{\{[^{}]*\}\}/g, 'true'), path),
  },
  memoize: { key: true, maxAge: true, cache: { configMap: { name: true, key: true } } },
  // Recorded by execution/metrics.ts; a definition that cannot be recorded is skipped with a log line, as Argo does.
  metrics: true,
  activeDeadlineSeconds: true,
  synchronization: (value, path) => {
    checkShape(value, SYNCHRONIZATION, path);
  },
  timeout: (value, path) => {
    if (!String(value).includes('{{') && durationSeconds(value) === undefined) reject(path, `invalid timeout format '${String(value)}'`);
  },
  parallelism: true,
  failFast: true,
  volumes: listOf(VOLUME),
  metadata: { labels: true, annotations: true },
  // The main log saved as the `main-logs` artifact (execution/archive-logs.ts); other keys name a cloud store.
  archiveLocation: { archiveLogs: true },
  // Requests/limits, as a container's `resources`: the engine's own step limits apply (pods/limits.ts).
  podResources: { requests: true, limits: true },
  annotations: true,
  serviceAccountName: true,
  nodeSelector: NODE_SELECTOR,
  tolerations: true,
  affinity: true,
  securityContext: true,
};
const SPEC: Shape = {
  entrypoint: true,
  onExit: true,
  hooks: HOOKS,
  templates: listOf(TEMPLATE),
  arguments: ARGUMENTS,
  parallelism: true,
  activeDeadlineSeconds: true,
  ttlStrategy: { secondsAfterCompletion: true, secondsAfterSuccess: true, secondsAfterFailure: true },
  serviceAccountName: true,
  artifactGC: true,
  podGC: true,
  // A PodDisruptionBudget only limits evictions by a cluster's voluntary disruptions; nothing evicts pods here.
  podDisruptionBudget: true,
  podResources: TEMPLATE.podResources!,
  // labels/annotations are merged into metadata by execution/templates.ts; labelsFrom is evaluated at submit.
  workflowMetadata: { labelsFrom: true },
  volumes: listOf(VOLUME),
  volumeClaimTemplates: listOf({ metadata: { name: true, labels: true, annotations: true }, spec: true }),
  volumeClaimGC: true,
  retryStrategy: TEMPLATE.retryStrategy!,
  nodeSelector: NODE_SELECTOR,
  tolerations: true,
  affinity: true,
  securityContext: true,
  imagePullSecrets: true,
  podMetadata: true,
  archiveLogs: true,
  suspend: true,
  synchronization: SYNCHRONIZATION,
  priority: true,
  // Recorded by execution/metrics.ts (see the template-level metrics).
  metrics: true,
};

function checkShape(value: unknown, shape: Shape, path: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, v] of Object.entries(value as Obj)) {
    const rule = shape[key];
    const here = `${path}.${key}`;
    if (rule === undefined) throw new ManifestRejectedError(`${here} is not supported by the local engine; ${USE_ARGO}`, here);
    if (rule === true) continue;
    if (typeof rule === 'function') rule(v, here);
    else checkShape(v, rule, here);
  }
}

function reject(field: string, message: string): never {
  throw new ManifestRejectedError(`${field}: ${message}`, field);
}

function checkExpression(src: string, field: string): void {
  try {
    parseExpression(src);
  } catch (err) {
    if (err instanceof ExpressionError) reject(field, err.message);
    throw err;
  }
}

/** Parses every `{{= expr}}` tag under `value`, refusing the field of the first one outside the supported subset. */
function checkExpressionTags(value: unknown, path: string): void {
  if (typeof value === 'string') {
    const tags = tagsIn(value).filter((t) => t.startsWith('='));
    if (tags.length < value.split('{{=').length - 1) reject(path, 'an expression tag ({{=) is not closed with }}');
    for (const tag of tags) checkExpression(tag.slice(1), path);
  } else if (Array.isArray(value)) value.forEach((v, i) => checkExpressionTags(v, `${path}[${i}]`));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value as Obj)) checkExpressionTags(v, `${path}.${k}`);
}

function checkTemplate(t: Obj, path: string, names: Set<string>): void {
  const kinds = ['container', 'script', 'containerSet', 'steps', 'dag', 'suspend', 'http', 'data'].filter((k) => t[k] !== undefined);
  if (kinds.length !== 1)
    reject(
      path,
      kinds.length === 0
        ? 'template has no container, script, containerSet, steps, dag, suspend, http or data'
        : `template has more than one kind (${kinds.join(', ')})`,
    );
  const body = (t.container ?? t.script) as Obj | undefined;
  const needCommand = (b: Obj, field: string) => {
    if ((!Array.isArray(b.command) || b.command.length === 0) && !knownEntrypoint(b.image))
      reject(field, `a command is required by the local engine (images are not pulled, so their entrypoint is unknown); ${USE_ARGO}`);
  };
  if (body) needCommand(body, `${path}.${kinds[0]}.command`);
  const set = t.containerSet as Obj | undefined;
  if (set) {
    checkContainerSet(set, `${path}.containerSet`);
    ((set.containers as Obj[] | undefined) ?? []).forEach((c, i) => needCommand(c, `${path}.containerSet.containers[${i}].command`));
  }
  for (const kind of ['initContainers', 'sidecars'] as const) {
    const list = (t[kind] as Obj[] | undefined) ?? [];
    if (list.length > 0 && !body && !set) reject(`${path}.${kind}`, `${kind} need a container or script template`);
    list.forEach((c, i) => needCommand(c, `${path}.${kind}[${i}].command`));
  }
  if (t.daemon === true && !body) reject(`${path}.daemon`, 'daemon needs a container or script template');
  for (const [j, p] of (((t.outputs as Obj | undefined)?.parameters as Obj[] | undefined) ?? []).entries()) {
    const vf = p.valueFrom as Obj | undefined;
    if ((body || set) && vf && vf.path === undefined)
      reject(`${path}.outputs.parameters[${j}].valueFrom.path`, 'container and script outputs need valueFrom.path');
    if (vf?.expression !== undefined) checkExpression(String(vf.expression), `${path}.outputs.parameters[${j}].valueFrom.expression`);
  }
  const rs = t.retryStrategy as Obj | undefined;
  if (rs?.retryPolicy !== undefined && !['Always', 'OnFailure', 'OnError', 'OnTransientError'].includes(String(rs.retryPolicy))) {
    reject(`${path}.retryStrategy.retryPolicy`, `unknown retry policy '${String(rs.retryPolicy)}'`);
  }
  const calls: Array<[Obj, string]> = [];
  if (Array.isArray(t.steps)) (t.steps as Obj[][]).forEach((g, gi) => g.forEach((s, si) => calls.push([s, `${path}.steps[${gi}][${si}]`])));
  const dag = t.dag as Obj | undefined;
  if (dag) {
    const tasks = (dag.tasks as Obj[] | undefined) ?? [];
    const taskNames = new Set(tasks.map((x) => String(x.name)));
    const usesDepends = tasks.some((x) => x.depends !== undefined);
    tasks.forEach((task, ti) => {
      const tp = `${path}.dag.tasks[${ti}]`;
      calls.push([task, tp]);
      if (usesDepends && task.continueOn !== undefined) reject(`${tp}.continueOn`, 'continueOn cannot be used in a DAG that uses depends');
      let refs: Set<string>;
      try {
        refs =
          task.depends !== undefined
            ? dependsTasks(parseDepends(String(task.depends)))
            : new Set(((task.dependencies as string[] | undefined) ?? []).map(String));
      } catch (err) {
        if (err instanceof DependsExpressionError) reject(`${tp}.depends`, err.message);
        throw err;
      }
      for (const r of refs)
        if (!taskNames.has(r))
          reject(`${tp}.${task.depends !== undefined ? 'depends' : 'dependencies'}`, `task '${r}' does not exist in this dag`);
    });
    for (const target of String(dag.target ?? '')
      .split(/\s+/)
      .filter((x) => x && !x.includes('{{'))) {
      if (!taskNames.has(target)) reject(`${path}.dag.target`, `task '${target}' does not exist in this dag`);
    }
  }
  for (const [call, cp] of [...calls]) checkHookTemplates(call, cp, names);
  for (const [call, cp] of calls) {
    if (call.inline !== undefined) {
      if (call.template !== undefined) reject(`${cp}.inline`, 'a step or task has either template or inline, not both');
      checkTemplate(call.inline as Obj, `${cp}.inline`, names);
    } else if (!names.has(String(call.template))) reject(`${cp}.template`, `template '${String(call.template)}' not found`);
  }
}

/** `onExit` and every hook name a template of the workflow; non-exit hooks need an expression (hooks.go). */
function checkHookTemplates(holder: Obj, path: string, names: Set<string>): void {
  if (typeof holder.onExit === 'string' && !names.has(holder.onExit)) reject(`${path}.onExit`, `template '${holder.onExit}' not found`);
  for (const [k, h] of Object.entries((holder.hooks as Obj | undefined) ?? {})) {
    const hook = h as Obj;
    if (!names.has(String(hook.template))) reject(`${path}.hooks.${k}.template`, `template '${String(hook.template)}' not found`);
    if (k !== 'exit') {
      if (typeof hook.expression !== 'string' || !hook.expression)
        reject(`${path}.hooks.${k}.expression`, `Expression required for hook ${k}`);
      checkExpression(hook.expression, `${path}.hooks.${k}.expression`);
    }
  }
}

/** Throws ManifestRejectedError naming the first field the local engine cannot run. */
export function checkLocalSubset(manifest: Workflow): void {
  checkShape(manifest.spec, SPEC, 'spec');
  checkExpressionTags(manifest.spec, 'spec');
  const templates = (manifest.spec.templates as Obj[] | undefined) ?? [];
  const names = new Set(templates.map((t) => String(t.name)));
  if (!manifest.spec.entrypoint) reject('spec.entrypoint', 'an entrypoint is required');
  if (!names.has(String(manifest.spec.entrypoint))) reject('spec.entrypoint', `template '${String(manifest.spec.entrypoint)}' not found`);
  templates.forEach((t, i) => checkTemplate(t, `spec.templates[${i}]`, names));
  checkHookTemplates(manifest.spec as Obj, 'spec', names);
}
