/**
 * A local ConfigMap store for parameters `valueFrom.configMapKeyRef` (workflow/common/configmap.go). As Argo's
 * controller, only ConfigMaps labelled `workflows.argoproj.io/configmap-type: Parameter` are seen. Values are
 * read at submit: `spec.arguments.parameters` (operator.go:setGlobalParameters) and template inputs
 * (common.ProcessArgs: an argument still wins), a missing one falling back to `valueFrom.default`.
 */
import { ManifestRejectedError } from '../../errors.ts';
import type { Workflow } from '../../types.ts';
import type { ManifestDoc } from '../admission/manifest-file.ts';

type Obj = Record<string, unknown>;

const TYPE_LABEL = 'workflows.argoproj.io/configmap-type';

export class ConfigMapStore {
  private readonly byKey = new Map<string, { data: Record<string, string>; parameters: boolean }>();

  /** Keeps a ConfigMap's data (in its namespace, else `namespace`); parameters read only labelled ones, as Argo does. */
  register(doc: ManifestDoc, namespace: string): void {
    const name = doc.metadata?.name;
    if (!name) throw new ManifestRejectedError('ConfigMap needs metadata.name', 'metadata.name');
    const data = ((doc as Obj).data ?? {}) as Obj;
    this.byKey.set(`${doc.metadata.namespace ?? namespace}/${name}`, {
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)])),
      parameters: doc.metadata.labels?.[TYPE_LABEL] === 'Parameter',
    });
  }

  /** The value, or Argo's error message. */
  value(namespace: string, name: string, key: string): { value: string } | { error: string } {
    const found = this.byKey.get(`${namespace}/${name}`);
    const data = found?.parameters ? found.data : undefined;
    if (!data)
      return {
        error: `ConfigMap '${name}' does not exist. Please make sure it has the label ${TYPE_LABEL}: Parameter to be detectable by the controller`,
      };
    if (!(key in data)) return { error: `ConfigMap '${name}' does not have the key '${key}'` };
    return { value: data[key]! };
  }

  /** A key of any registered ConfigMap (semaphore limits need no label). */
  raw(namespace: string, name: string, key: string): string | undefined {
    return this.byKey.get(`${namespace}/${name}`)?.data[key];
  }

  /** Replaces every `valueFrom.configMapKeyRef` parameter of the Workflow by its value; refuses a missing one. */
  resolve(wf: Workflow, namespace: string): void {
    const args = ((wf.spec.arguments as Obj | undefined)?.parameters as Obj[] | undefined) ?? [];
    args.forEach((p, i) =>
      this.resolveOne(
        p,
        namespace,
        `spec.arguments.parameters[${i}]`,
        (ref, err) =>
          `failed to set global parameter ${String(p.name)} from configmap with name ${String(ref.name)} and key ${String(ref.key)}: ${err}`,
      ),
    );
    ((wf.spec.templates as Obj[] | undefined) ?? []).forEach((t, ti) => {
      (((t.inputs as Obj | undefined)?.parameters as Obj[] | undefined) ?? []).forEach((p, i) =>
        this.resolveOne(
          p,
          namespace,
          `spec.templates[${ti}].inputs.parameters[${i}]`,
          (_ref, err) => `unable to retrieve inputs.parameters.${String(p.name)} from ConfigMap: ${err}`,
        ),
      );
    });
  }

  private resolveOne(p: Obj, namespace: string, field: string, message: (ref: Obj, err: string) => string): void {
    const vf = p.valueFrom as Obj | undefined;
    const ref = vf?.configMapKeyRef as Obj | undefined;
    if (!ref) return;
    const found = this.value(namespace, String(ref.name), String(ref.key));
    let value: string;
    if ('value' in found) value = found.value;
    else if (vf!.default !== undefined) value = String(vf!.default);
    else if (ref.optional === true) value = '';
    else
      throw new ManifestRejectedError(
        `${field}.valueFrom.configMapKeyRef: ${message(ref, found.error)}`,
        `${field}.valueFrom.configMapKeyRef`,
      );
    delete p.valueFrom;
    p.value = value;
  }
}
