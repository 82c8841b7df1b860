import os from 'node:os';
import type { StepLimits } from '../engine/local/pods/limits.ts';
import path from 'node:path';
import { ConfigError } from './errors.ts';
import { loadIdentityConfig, type IdentityConfig } from './identity.ts';

export type { AccessMode, OidcConfig } from './identity.ts';

/** Where users and runs are stored. */
export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string }
  | {
      kind: 'postgres';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
    };

/** Which workflow engine runs the manifests. */
type EngineConfig =
  | {
      kind: 'local';
      maxProcesses: number;
      /** OGDC_LOCAL_SANDBOX: `bwrap` (default; serve refuses to start without it) or `none` (loopback only). */
      sandbox: 'bwrap' | 'none';
      /** Per-step limits (src/engine/local/pods/limits.ts; README "The local engine"). */
      limits: StepLimits;
    }
  | {
      kind: 'argo';
      serviceUrl: string;
      token: string | undefined;
      /** Skip TLS verification of the Argo Server (self-signed dev clusters). */
      insecureSkipVerify: boolean;
      timeoutMs: number;
      /** Safety-net list interval of the Argo watch. */
      watchResyncMs: number;
    };

export interface S3Config {
  accessKeyId: string;
  secretAccessKey: string;
  internalEndpointUrl: string;
  publicEndpointUrl: string;
  bucket: string;
  region: string;
}

/** The service's whole configuration, read once at startup. */
export interface Config extends IdentityConfig {
  dataDir: string;
  db: DatabaseConfig;
  /** Undefined in embedded mode until `ensureEmbeddedSecrets` fills it from the data dir. */
  jwtSecretKey: string | undefined;
  adminPassword: string | undefined;
  engine: EngineConfig;
  argoNamespace: string;
  workflowPvcName: string;
  serviceAccountName: string;
  runnerImage: string;
  /** Image of the visualization stages; undefined: the translator's default (upstream's viz-workflow image). */
  vizWorkflowImage: string | undefined;
  imagePullPolicy: 'Always' | 'IfNotPresent';
  environment: string | undefined;
  maxParallelLimit: number;
  /** How many WorkflowTemplates and CronWorkflows one user may keep (admin: no limit). */
  maxKeptPerUser: { templates: number; cronWorkflows: number };
  /** `spec.activeDeadlineSeconds` of every translated manifest. */
  workflowDeadlineSeconds: number;
  /** Pod Security Standard of translated manifests' pods. */
  podSecurity: 'baseline' | 'restricted';
  dataoneNodeUrl: string;
  s3: S3Config | undefined;
  apiRootPath: string;
  /** Server-side directories from which `/submit` accepts local recipe paths. */
  recipeRoots: string[];
  /** OGDC_ALLOWED_INPUT_PVCS: claims pvc_mount inputs may name, besides the workflow PVC. */
  allowedInputPvcs: string[];
  /** Allow remote recipe sources on loopback/private hosts (tests, local dev). */
  allowPrivateSources: boolean;
  /** Where `github://` recipe paths are downloaded from. */
  githubBaseUrl: string;
  tokenRateLimit: { perClient: number; perUsername: number; windowMs: number };
  /**
   * Which proxies' `X-Forwarded-For` names the client (Fastify's `trustProxy`):
   * false (default: the socket address is the client), true, a hop count, or
   * comma-separated addresses/CIDRs. Behind an ingress, per-client rate limits need it.
   */
  trustProxy: boolean | number | string;
}

type Env = Record<string, string | undefined>;

function defaultDataDir(env: Env): string {
  const base = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'ogdc-runner');
}

function required(env: Env, name: string, why: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigError(name, `${name} must be set ${why}.`);
  }
  return value;
}

/** `env[name]` when it is one of `values`, the fallback when unset; anything else is a configuration error. */
function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw new ConfigError(name, `${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** OGDC_ALLOWED_INPUT_PVCS: a JSON list of claim names (DNS-1123 labels). */
function claimList(env: Env): string[] {
  const raw = env.OGDC_ALLOWED_INPUT_PVCS;
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError('OGDC_ALLOWED_INPUT_PVCS', `OGDC_ALLOWED_INPUT_PVCS must be a JSON list of claim names, got "${raw}".`);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 63))
    throw new ConfigError(
      'OGDC_ALLOWED_INPUT_PVCS',
      `OGDC_ALLOWED_INPUT_PVCS must be a JSON list of claim names (DNS labels), got "${raw}".`,
    );
  return value as string[];
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new ConfigError(name, `${name} must be a positive whole number, got "${raw}".`);
  }
  return Number(raw);
}

function httpUrl(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name] || fallback;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `${name} must be an http(s) URL, got "${raw}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `${name} must be an http(s) URL, got "${raw}".`);
  }
  return raw.replace(/\/+$/, '');
}

function parseDbHost(raw: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw);
  if (!match || !match[1]) {
    throw new ConfigError('OGDC_DB_HOST', `OGDC_DB_HOST must be "host" or "host:port", got "${raw}".`);
  }
  const port = match[2] ? Number(match[2]) : 5432;
  if (port < 1 || port > 65535) {
    throw new ConfigError('OGDC_DB_HOST', `OGDC_DB_HOST has an invalid port in "${raw}".`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function trustProxy(env: Env): boolean | number | string {
  const raw = (env.OGDC_TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*$/.test(raw)) return raw;
  throw new ConfigError(
    'OGDC_TRUST_PROXY',
    `OGDC_TRUST_PROXY must be true, false, a hop count or comma-separated proxy addresses/CIDRs, got "${raw}".`,
  );
}

function podSecurity(env: Env): 'baseline' | 'restricted' {
  const raw = env.OGDC_POD_SECURITY || 'baseline';
  if (raw !== 'baseline' && raw !== 'restricted') {
    throw new ConfigError('OGDC_POD_SECURITY', `OGDC_POD_SECURITY must be "baseline" or "restricted", got "${raw}".`);
  }
  return raw;
}

function normalizeRootPath(raw: string | undefined): string {
  if (!raw || raw === '/') return '/';
  if (!raw.startsWith('/')) {
    throw new ConfigError('API_ROOT_PATH', `API_ROOT_PATH must start with "/", got "${raw}".`);
  }
  return raw.replace(/\/+$/, '');
}

function databaseConfig(env: Env, dataDir: string): DatabaseConfig {
  if (!env.OGDC_DB_HOST) return { kind: 'pglite', dataDir: path.join(dataDir, 'db') };
  const { host, port } = parseDbHost(env.OGDC_DB_HOST);
  const why = 'when OGDC_DB_HOST is set';
  const db: DatabaseConfig = {
    kind: 'postgres',
    host,
    port,
    user: required(env, 'OGDC_DB_USERNAME', why),
    password: required(env, 'OGDC_DB_PASSWORD', why),
    database: env.OGDC_DB_NAME || 'ogdc',
  };
  required(env, 'OGDC_JWT_SECRET_KEY', why);
  required(env, 'OGDC_ADMIN_PASSWORD', why);
  return db;
}

function engineConfig(env: Env): EngineConfig {
  const argoUrl = httpUrl(env, 'ARGO_WORKFLOWS_SERVICE_URL');
  return argoUrl
    ? {
        kind: 'argo',
        serviceUrl: argoUrl,
        token: env.ARGO_TOKEN || undefined,
        insecureSkipVerify: env.ARGO_INSECURE_SKIP_VERIFY === 'true',
        timeoutMs: positiveInt(env, 'ARGO_TIMEOUT_MS', 10_000),
        watchResyncMs: positiveInt(env, 'ARGO_WATCH_RESYNC_MS', 30_000),
      }
    : {
        kind: 'local',
        maxProcesses: positiveInt(env, 'OGDC_LOCAL_MAX_PROCESSES', os.availableParallelism()),
        sandbox: oneOf(env, 'OGDC_LOCAL_SANDBOX', ['bwrap', 'none'] as const, 'bwrap'),
        // Defaults a shared 2-core machine survives; each is documented in the README's Configuration table.
        limits: {
          processes: positiveInt(env, 'OGDC_LOCAL_STEP_PROCESSES', 256),
          memoryMb: positiveInt(env, 'OGDC_LOCAL_STEP_MEMORY_MB', 2048),
          fileMb: positiveInt(env, 'OGDC_LOCAL_STEP_FILE_MB', 1024),
          cpuSeconds: positiveInt(env, 'OGDC_LOCAL_STEP_CPU_SECONDS', 3600),
          tmpMb: positiveInt(env, 'OGDC_LOCAL_STEP_TMP_MB', 256),
          logMb: positiveInt(env, 'OGDC_LOCAL_STEP_LOG_MB', 16),
          outputMb: positiveInt(env, 'OGDC_LOCAL_STEP_OUTPUT_MB', 2048),
          network: oneOf(env, 'OGDC_LOCAL_STEP_NETWORK', ['none', 'egress'] as const, 'none'),
        },
      };
}

function s3Config(env: Env): S3Config | undefined {
  if (!(env.S3_SECRET_KEY_ID || env.S3_SECRET_KEY_KEY || env.INTERNAL_S3_ENDPOINT_URL)) return undefined;
  const why = 'when any S3_* variable is set';
  const internal = httpUrl(env, 'INTERNAL_S3_ENDPOINT_URL') ?? required(env, 'INTERNAL_S3_ENDPOINT_URL', why);
  return {
    accessKeyId: required(env, 'S3_SECRET_KEY_ID', why),
    secretAccessKey: required(env, 'S3_SECRET_KEY_KEY', why),
    internalEndpointUrl: internal,
    publicEndpointUrl: httpUrl(env, 'PUBLIC_S3_ENDPOINT_URL') ?? internal,
    bucket: env.S3_BUCKET || 'argo-workflows',
    region: env.S3_REGION || 'us-east-1',
  };
}

/** Reads and validates the environment; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.OGDC_DATA_DIR || defaultDataDir(env));
  const db = databaseConfig(env, dataDir);
  const engine = engineConfig(env);
  const tag = env.OGDC_RUNNER_IMAGE_TAG || 'latest';
  const environment = env.ENVIRONMENT || undefined;

  const s3 = s3Config(env);

  return {
    dataDir,
    db,
    jwtSecretKey: env.OGDC_JWT_SECRET_KEY || undefined,
    adminPassword: env.OGDC_ADMIN_PASSWORD || undefined,
    engine,
    argoNamespace: env.ARGO_NAMESPACE || 'qgnet',
    workflowPvcName: env.OGDC_WORKFLOW_PVC_NAME || 'cephfs-qgnet-ogdc-workflow-pvc',
    serviceAccountName: env.ARGO_SERVICE_ACCOUNT_NAME || 'argo-workflow',
    runnerImage: environment === 'local' ? `ogdc-runner:${tag}` : `ghcr.io/qgreenland-net/ogdc-runner:${tag}`,
    vizWorkflowImage: env.VIZ_WORKFLOW_IMAGE || undefined,
    imagePullPolicy: environment === 'dev' ? 'Always' : 'IfNotPresent',
    environment,
    maxParallelLimit: positiveInt(env, 'OGDC_MAX_PARALLEL_LIMIT', 5),
    maxKeptPerUser: {
      templates: positiveInt(env, 'OGDC_MAX_TEMPLATES_PER_USER', 100),
      cronWorkflows: positiveInt(env, 'OGDC_MAX_CRON_WORKFLOWS_PER_USER', 20),
    },
    workflowDeadlineSeconds: positiveInt(env, 'OGDC_WORKFLOW_DEADLINE_SECONDS', 86_400),
    podSecurity: podSecurity(env),
    dataoneNodeUrl: httpUrl(env, 'DATAONE_NODE_URL', 'https://arcticdata.io/metacat/d1/mn') as string,
    s3,
    apiRootPath: normalizeRootPath(env.API_ROOT_PATH),
    recipeRoots: (env.OGDC_RECIPE_ROOTS || '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((p) => path.resolve(p)),
    allowedInputPvcs: claimList(env),
    allowPrivateSources: env.OGDC_ALLOW_PRIVATE_SOURCES === 'true',
    githubBaseUrl: httpUrl(env, 'OGDC_GITHUB_BASE_URL', 'https://codeload.github.com') as string,
    tokenRateLimit: {
      perClient: positiveInt(env, 'OGDC_TOKEN_RATE_LIMIT_PER_CLIENT', 30),
      perUsername: positiveInt(env, 'OGDC_TOKEN_RATE_LIMIT_PER_USERNAME', 10),
      windowMs: positiveInt(env, 'OGDC_TOKEN_RATE_LIMIT_WINDOW_SECONDS', 60) * 1000,
    },
    trustProxy: trustProxy(env),
    ...loadIdentityConfig(env),
  };
}
