import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';

const WORKFLOW_REF = '#/definitions/io.argoproj.workflow.v1alpha1.Workflow';

/**
 * Argo's own JSON schema lives in `shared/argo/schema.json` beside the repository
 * (CI copies `shared/` next to its clone); OGDC_ARGO_SCHEMA overrides the location.
 */
export function argoSchemaPath(env: Record<string, string | undefined> = process.env): string {
  if (env.OGDC_ARGO_SCHEMA) return env.OGDC_ARGO_SCHEMA;
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidates = [path.join(repoRoot, '..', 'shared', 'argo', 'schema.json'), path.join(repoRoot, 'shared', 'argo', 'schema.json')];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(argoSchemaPath(), 'utf8')) as Record<string, unknown>;
    // The schema's root is a oneOf over every kind; we only validate Workflows.
    const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema(schema, 'argo');
    compiled = ajv.getSchema(`argo${WORKFLOW_REF}`);
    if (!compiled) throw new Error(`Workflow definition missing from ${argoSchemaPath()}`);
  }
  return compiled;
}

export type ManifestValidation = { valid: true } | { valid: false; errors: string[] };

/** Checks an object against Argo's Workflow JSON schema; errors read `/spec/templates/0/name: must be string`. */
export function validateWorkflowManifest(manifest: unknown): ManifestValidation {
  const validate = validator();
  if (validate(manifest)) return { valid: true };
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'is invalid'}`);
  return { valid: false, errors: [...new Set(errors)] };
}
