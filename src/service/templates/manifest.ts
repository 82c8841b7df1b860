/**
 * A WorkflowTemplate or ClusterWorkflowTemplate as Argo's API takes it: a name, and a Workflow spec with
 * `templates`. It is checked with Argo's Workflow schema (the two share the spec's definition), so a template
 * that a later reference would copy into a Workflow is refused when it is kept, naming the field.
 */
import type { Workflow } from '../../argo/types.ts';
import { schemaProblems } from '../../engine/local/admission/submit-helpers.ts';
import { RequestValidationError } from '../errors.ts';

export type TemplateKind = 'WorkflowTemplate' | 'ClusterWorkflowTemplate';

export interface TemplateManifest {
  apiVersion: string;
  kind: TemplateKind;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Workflow['spec'];
}

/** Kubernetes object names (RFC 1123 subdomain, at most 253 characters). */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function fail(loc: string[], msg: string): never {
  throw new RequestValidationError([{ type: 'value_error', loc: ['body', ...loc], msg }]);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks a parsed document of kind `kind` and returns it typed; throws RequestValidationError (422) whose `loc`
 * names the field. A WorkflowTemplate is kept in `namespace` when it names none; a cluster one has no namespace.
 */
export function checkTemplate(doc: unknown, kind: TemplateKind, namespace: string): TemplateManifest {
  if (!isObject(doc)) fail([], `expected a ${kind} object`);
  if (doc.kind !== kind) fail(['kind'], `must be "${kind}", got ${JSON.stringify(doc.kind)}`);
  const metadata = doc.metadata;
  if (!isObject(metadata) || typeof metadata.name !== 'string') fail(['metadata', 'name'], 'is required');
  if (!NAME.test(metadata.name) || metadata.name.length > 253)
    fail(['metadata', 'name'], 'must be lower-case letters, digits, "-" and ".", at most 253 characters');
  if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || !NAMESPACE.test(metadata.namespace)))
    fail(['metadata', 'namespace'], 'must be a Kubernetes namespace name');
  if (!isObject(doc.spec)) fail(['spec'], 'is required');
  if (!Array.isArray(doc.spec.templates) || doc.spec.templates.length === 0)
    fail(['spec', 'templates'], 'is required: the templates a reference names');
  const manifest = structuredClone(doc) as unknown as TemplateManifest;
  manifest.apiVersion ??= 'argoproj.io/v1alpha1';
  if (kind === 'ClusterWorkflowTemplate') delete manifest.metadata.namespace;
  else manifest.metadata.namespace ??= namespace;
  const problems = schemaProblems({ ...manifest, kind: 'Workflow' } as unknown as Workflow);
  if (problems.length > 0) {
    const [pointer, msg] = problems[0]!.split(/: (.*)/s) as [string, string];
    fail(pointer.split('/').filter(Boolean), `${msg} (Argo's Workflow schema)`);
  }
  return manifest;
}
