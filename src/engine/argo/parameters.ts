import type { Workflow } from '../../argo/types.ts';

/**
 * A copy of `manifest` with `-p NAME=VALUE` overrides applied to
 * `spec.arguments.parameters` as `argo submit -p` does (util.ApplySubmitOpts):
 * each override becomes a plain `{name, value}` placed first (replacing any
 * default, enum or valueFrom), then the parameters not overridden, in order.
 */
export function applySubmitParameters(manifest: Workflow, parameters: Record<string, string> = {}): Workflow {
  const copy = structuredClone(manifest);
  const names = Object.keys(parameters);
  if (names.length === 0) return copy;
  const spec = copy.spec;
  const existing = spec.arguments?.parameters ?? [];
  spec.arguments = {
    ...spec.arguments,
    parameters: [...names.map((name) => ({ name, value: parameters[name] as string })), ...existing.filter((p) => !names.includes(p.name))],
  };
  return copy;
}
