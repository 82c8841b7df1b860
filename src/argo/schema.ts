import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';

const requireHere = createRequire(import.meta.url);
const AJV_VERSION = String((requireHere('ajv/package.json') as { version: string }).version);

const WORKFLOW_REF = '#/definitions/io.argoproj.workflow.v1alpha1.Workflow';

/**
 * Argo's own JSON schema lives in `shared/argo/schema.json` beside the repository
 * (CI copies `shared/` next to its clone); OGDC_ARGO_SCHEMA overrides the location.
 */
function argoSchemaPath(env: Record<string, string | undefined> = process.env): string {
  if (env.OGDC_ARGO_SCHEMA) return env.OGDC_ARGO_SCHEMA;
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidates = [path.join(repoRoot, '..', 'shared', 'argo', 'schema.json'), path.join(repoRoot, 'shared', 'argo', 'schema.json')];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

let compiled: ValidateFunction | undefined;
let cacheDir: string | undefined = process.env.OGDC_SCHEMA_CACHE_DIR || undefined;

/**
 * Keeps the compiled validator as code in `dir` (the user's own cache folder, 0700), so a later process loads it
 * instead of compiling Argo's 600 KB schema again (most of a `run-workflow`'s first submit). The file is named by
 * a digest of the schema, Ajv's version and the options; one not owned by this user, or writable by others, is
 * not used. Undefined: compile every time. Default: OGDC_SCHEMA_CACHE_DIR.
 */
export function useSchemaCache(dir: string | undefined): void {
  cacheDir = dir;
}

const AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: false } as const;

function compile(schema: Record<string, unknown>, withSource: boolean): Ajv2020.default {
  // The schema's root is a oneOf over every kind; we only validate Workflows.
  const ajv = new Ajv2020.default({ ...AJV_OPTIONS, ...(withSource && { code: { source: true } }) });
  ajv.addSchema(schema, 'argo');
  return ajv;
}

/** The cached validator's code, if a trustworthy copy is there. */
function loadCached(file: string): ValidateFunction | undefined {
  try {
    const info = statSync(file);
    if ((process.getuid && info.uid !== process.getuid()) || (info.mode & 0o022) !== 0) return undefined;
    const module = { exports: {} as { default?: ValidateFunction } };
    // The standalone module Ajv wrote from this schema (CommonJS); it requires only Ajv's runtime helpers.
    new Function('require', 'module', 'exports', readFileSync(file, 'utf8'))(requireHere, module, module.exports);
    return typeof module.exports.default === 'function' ? module.exports.default : undefined;
  } catch {
    return undefined;
  }
}

function saveCached(file: string, ajv: Ajv2020.default, validate: ValidateFunction): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, standaloneCode.default(ajv, validate), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // No cache (read-only home): the next process compiles again.
  }
}

function validator(): ValidateFunction {
  if (!compiled) {
    const text = readFileSync(argoSchemaPath(), 'utf8');
    const schema = JSON.parse(text) as Record<string, unknown>;
    const digest = createHash('sha256')
      .update(`${AJV_VERSION}\0${JSON.stringify(AJV_OPTIONS)}\0${text}`)
      .digest('hex')
      .slice(0, 16);
    const file = cacheDir ? path.join(cacheDir, `argo-workflow-schema-${digest}.cjs`) : undefined;
    compiled = file ? loadCached(file) : undefined;
    if (!compiled) {
      const ajv = compile(schema, file !== undefined);
      compiled = ajv.getSchema(`argo${WORKFLOW_REF}`);
      if (!compiled) throw new Error(`Workflow definition missing from ${argoSchemaPath()}`);
      if (file) saveCached(file, ajv, compiled);
    }
  }
  return compiled;
}

type ManifestValidation = { valid: true } | { valid: false; errors: string[] };

/** Checks an object against Argo's Workflow JSON schema; errors read `/spec/templates/0/name: must be string`. */
export function validateWorkflowManifest(manifest: unknown): ManifestValidation {
  const validate = validator();
  if (validate(manifest)) return { valid: true };
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'is invalid'}`);
  return { valid: false, errors: [...new Set(errors)] };
}
