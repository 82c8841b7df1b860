/**
 * WorkflowTemplates and ClusterWorkflowTemplates kept by name, and what Argo does with them at submit:
 * `spec.workflowTemplateRef` (the Workflow's spec joined over the template's, arguments merged by name:
 * workflow/util/merge.go:JoinWorkflowSpec), step/task `templateRef` (the referenced template and the templates it
 * calls are copied into the Workflow), and `spec.templateDefaults` (merged under every template:
 * workflow/controller/operator.go:mergedTemplateDefaultsInto, the template's own fields win).
 */
import { ManifestRejectedError } from '../../errors.ts';
import type { Workflow } from '../../types.ts';
import type { ManifestDoc } from '../admission/manifest-file.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `base` under `over`: objects merge key by key, anything else in `over` replaces. */
function mergeUnder(over: Obj, base: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(base[k]) ? mergeUnder(v, base[k]) : v;
  return out;
}

/** Parameters (or artifacts) merged by name: those of `over` replace those of `base`, order of `base` first. */
function mergeByName(over: Obj[] = [], base: Obj[] = []): Obj[] {
  const names = new Set(over.map((p) => p.name));
  return [...base.filter((p) => !names.has(p.name)), ...over];
}

export class TemplateRegistry {
  private readonly byKey = new Map<string, ManifestDoc>();

  private key(kind: 'WorkflowTemplate' | 'ClusterWorkflowTemplate', name: string, namespace?: string): string {
    return kind === 'ClusterWorkflowTemplate' ? `cluster/${name}` : `${namespace}/${name}`;
  }

  /** Keeps a WorkflowTemplate (in its namespace, else `namespace`) or ClusterWorkflowTemplate; later ones replace. */
  register(doc: ManifestDoc, namespace: string): void {
    const kind = doc.kind as 'WorkflowTemplate' | 'ClusterWorkflowTemplate';
    if (kind !== 'WorkflowTemplate' && kind !== 'ClusterWorkflowTemplate')
      throw new ManifestRejectedError(`kind ${String(doc.kind)} cannot be registered as a template`, 'kind');
    const name = doc.metadata?.name;
    if (!name) throw new ManifestRejectedError(`${kind} needs metadata.name`, 'metadata.name');
    if (!isObj(doc.spec) || !Array.isArray(doc.spec.templates))
      throw new ManifestRejectedError(`${kind} ${name}: spec.templates is required`, 'spec.templates');
    this.byKey.set(this.key(kind, name, doc.metadata.namespace ?? namespace), structuredClone(doc));
  }

  list(): ManifestDoc[] {
    return [...this.byKey.values()];
  }

  private find(name: string, cluster: boolean, namespace: string, field: string): ManifestDoc {
    const kind = cluster ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate';
    const found = this.byKey.get(this.key(kind, name, namespace));
    if (!found)
      throw new ManifestRejectedError(
        `${field}: ${cluster ? 'clusterworkflowtemplates' : 'workflowtemplates'}.argoproj.io "${name}" not found`,
        field,
      );
    return found;
  }

  /** Rewrites `wf` (in place) so it refers to no registered template: Argo's submit-time resolution. */
  resolve(wf: Workflow, namespace: string): void {
    const spec = wf.spec as Obj;
    const ref = spec.workflowTemplateRef as Obj | undefined;
    if (ref) {
      const t = this.find(String(ref.name), ref.clusterScope === true, namespace, 'spec.workflowTemplateRef');
      const base = structuredClone(t.spec) as Obj;
      const own = { ...spec };
      delete own.workflowTemplateRef;
      const joined = mergeUnder(own, base);
      const args = (own.arguments ?? {}) as Obj;
      const baseArgs = (base.arguments ?? {}) as Obj;
      joined.arguments = {
        ...(joined.arguments as Obj),
        parameters: mergeByName(args.parameters as Obj[], baseArgs.parameters as Obj[]),
        artifacts: mergeByName(args.artifacts as Obj[], baseArgs.artifacts as Obj[]),
      };
      for (const k of ['parameters', 'artifacts'] as const)
        if (((joined.arguments as Obj)[k] as Obj[]).length === 0) delete (joined.arguments as Obj)[k];
      joined.templates = mergeByName(own.templates as Obj[], base.templates as Obj[]);
      for (const k of Object.keys(spec)) delete spec[k];
      Object.assign(spec, joined);
    }
    this.inlineRefs(spec, namespace);
    // spec.workflowMetadata: labels and annotations the Workflow gets (operator.go:setWorkflowMetadata... via labels).
    const meta = spec.workflowMetadata as Obj | undefined;
    if (meta) {
      wf.metadata.labels = { ...(meta.labels as Record<string, string>), ...wf.metadata.labels };
      wf.metadata.annotations = { ...(meta.annotations as Record<string, string>), ...wf.metadata.annotations };
      // labelsFrom needs the workflow's name and parameters: evaluated at submit (submit-helpers.ts:applyLabelsFrom).
      if (meta.labelsFrom === undefined) delete spec.workflowMetadata;
      else spec.workflowMetadata = { labelsFrom: meta.labelsFrom };
    }
    const defaults = spec.templateDefaults as Obj | undefined;
    if (defaults) {
      spec.templates = ((spec.templates as Obj[] | undefined) ?? []).map((t) => mergeUnder(t, defaults));
      delete spec.templateDefaults;
    }
  }

  /** Copies each `templateRef` target (and what it calls, transitively) into spec.templates; steps then name it. */
  private inlineRefs(spec: Obj, namespace: string): void {
    const templates = (spec.templates as Obj[] | undefined) ?? [];
    const taken = new Set(templates.map((t) => String(t.name)));
    const copied = new Map<string, string>(); // `<kind>/<wt>/<template>` → local name
    const work: Array<{ tmpl: Obj; source?: { wt: ManifestDoc; cluster: boolean } }> = templates.map((tmpl) => ({ tmpl }));
    const localName = (wt: ManifestDoc, cluster: boolean, name: string, field: string): string => {
      const key = `${cluster}/${wt.metadata.name}/${name}`;
      const known = copied.get(key);
      if (known) return known;
      const found = ((wt.spec.templates as Obj[]) ?? []).find((t) => t.name === name);
      if (!found) throw new ManifestRejectedError(`${field}: template ${name} not found in ${wt.kind} ${wt.metadata.name}`, field);
      let local = name;
      for (let i = 1; taken.has(local); i++) local = `${wt.metadata.name}-${name}${i > 1 ? `-${i}` : ''}`;
      taken.add(local);
      copied.set(key, local);
      const tmpl = { ...structuredClone(found), name: local };
      templates.push(tmpl);
      work.push({ tmpl, source: { wt, cluster } });
      return local;
    };
    for (let w = 0; w < work.length; w++) {
      const { tmpl, source } = work[w]!;
      const calls: Array<[Obj, string]> = [];
      if (Array.isArray(tmpl.steps))
        (tmpl.steps as Obj[][]).forEach((g, gi) =>
          g.forEach((s, si) => calls.push([s, `templates.${String(tmpl.name)}.steps[${gi}][${si}]`])),
        );
      const tasks = (tmpl.dag as Obj | undefined)?.tasks as Obj[] | undefined;
      tasks?.forEach((t, ti) => calls.push([t, `templates.${String(tmpl.name)}.dag.tasks[${ti}]`]));
      for (const h of Object.values((tmpl.hooks as Obj | undefined) ?? {}))
        if (isObj(h)) calls.push([h, `templates.${String(tmpl.name)}.hooks`]);
      for (const [call, field] of calls) {
        for (const h of Object.values((call.hooks as Obj | undefined) ?? {})) if (isObj(h)) calls.push([h, `${field}.hooks`]);
        const r = call.templateRef as Obj | undefined;
        if (r) {
          const cluster = r.clusterScope === true;
          const wt = this.find(String(r.name), cluster, namespace, `${field}.templateRef`);
          call.template = localName(wt, cluster, String(r.template), `${field}.templateRef`);
          delete call.templateRef;
        } else if (source && typeof call.template === 'string') {
          // Inside a copied template, `template:` names a template of the same WorkflowTemplate.
          call.template = localName(source.wt, source.cluster, call.template, `${field}.template`);
        }
      }
    }
    spec.templates = templates;
  }
}
