/**
 * The part of Argo's Workflow spec the local engine runs, key by key (DESIGN §6): anything outside it is refused
 * at submit naming the field (admission/shape.ts checkShape).
 */
import { durationSeconds } from '../expressions/durations.ts';
import { checkExpression, checkShape, listOf, reject, USE_ARGO, type Shape } from './shape.ts';

type Obj = Record<string, unknown>;

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
export const SPEC: Shape = {
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
