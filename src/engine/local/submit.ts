/**
 * What `submit` does before a workflow runs: the schema check, templates and config maps resolved, admission
 * (admission/), parameters applied, then a name (generated ones retried on a clash) and the first record.
 */
import { randomUUID } from 'node:crypto';
import { ManifestRejectedError } from '../errors.ts';
import type { SubmitOptions, Workflow } from '../types.ts';
import { artifactScopeOf, type ArtifactScope } from './admission/artifact-scope.ts';
import { checkAdmission, checkArtifactKeys } from './admission/pod-security.ts';
import { applyLabelsFrom, applyParameters, schemaProblems } from './admission/submit-helpers.ts';
import { checkLocalSubset } from './admission/subset.ts';
import { checkSuppliedInputs, checkVariables } from './admission/variables.ts';
import { now } from './execution/context.ts';
import type { TemplateRegistry } from './execution/templates.ts';
import type { ConfigMapStore } from './state/configmaps.ts';
import { generateWorkflowName } from './state/names.ts';
import type { WorkflowRecords } from './state/store.ts';

interface AdmitContext {
  namespace: string;
  registry: TemplateRegistry;
  configMaps: ConfigMapStore;
}

/** Refuses a manifest that does not match Argo's JSON schema, naming the first field. */
function checkSchema(manifest: Workflow): void {
  const problems = schemaProblems(manifest);
  if (problems.length === 0) return;
  const field = problems[0]!.split(':')[0]!.replace(/^\//, '').replace(/\//g, '.');
  throw new ManifestRejectedError(`manifest does not match Argo's Workflow schema: ${problems.slice(0, 5).join('; ')}`, field || undefined);
}

/** A checked copy of `manifest`, ready to run (no name yet if it has only generateName); throws ManifestRejectedError. */
export function admit(manifest: Workflow, options: SubmitOptions | undefined, ctx: AdmitContext): Workflow {
  checkSchema(manifest);
  const wf = structuredClone(manifest);
  delete wf.status;
  wf.metadata.namespace ??= ctx.namespace;
  ctx.registry.resolve(wf, wf.metadata.namespace);
  ctx.configMaps.resolve(wf, wf.metadata.namespace);
  checkLocalSubset(wf);
  checkAdmission(wf);
  applyParameters(wf, options?.parameters ?? {});
  checkSuppliedInputs(wf);
  checkVariables(wf);
  if (!wf.metadata.name && !wf.metadata.generateName)
    throw new ManifestRejectedError('metadata.name or metadata.generateName is required', 'metadata.name');
  wf.metadata.namespace ??= ctx.namespace;
  wf.metadata.uid = randomUUID();
  wf.metadata.creationTimestamp = now();
  wf.metadata.labels = { ...wf.metadata.labels, 'workflows.argoproj.io/phase': 'Running' };
  return wf;
}

/**
 * Names `wf` (its own name, or one generated from generateName, retried on a clash), checks the artifact keys it
 * may touch and inserts it as Running; returns its artifact scope.
 */
export async function insertNamed(
  wf: Workflow,
  records: WorkflowRecords,
  options: SubmitOptions | undefined,
): Promise<ArtifactScope | undefined> {
  const fixedName = wf.metadata.name;
  for (let attempt = 0; ; attempt++) {
    wf.metadata.name = fixedName ?? generateWorkflowName(wf.metadata.generateName!);
    applyLabelsFrom(wf);
    const scope = artifactScopeOf(wf.metadata.name, wf.metadata.labels, options?.artifactReadPrefixes);
    checkArtifactKeys(wf, scope);
    if (await records.insert({ ...wf, status: { phase: 'Running', startedAt: wf.metadata.creationTimestamp } })) return scope;
    if (fixedName || attempt > 5) throw new ManifestRejectedError(`workflow "${wf.metadata.name}" already exists`, 'metadata.name');
  }
}
