/**
 * Submit-time check of `{{tags}}` (SEMANTICS §2, validate:resolveAllVariables), conservatively: a tag naming an
 * input, output path, workflow parameter or step/task the workflow does not declare is refused.
 */
import { ManifestRejectedError } from '../../errors.ts';
import type { Workflow } from '../../types.ts';
import type { Obj } from '../execution/context.ts';
import { tagsIn } from '../expressions/substitute.ts';

function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [value, path];
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], `${path}[${i}]`);
  else if (value !== null && typeof value === 'object') {
    // An inline template has its own inputs: its tags are not the enclosing template's.
    for (const [k, v] of Object.entries(value as Obj)) if (k !== 'inline') yield* strings(v, `${path}.${k}`);
  }
}

const names = (list: unknown) => new Set(((list as Obj[] | undefined) ?? []).map((x) => String(x.name)));

/** Input parameters of `t` with neither value nor default: its callers must supply them. */
function required(t: Obj | undefined): string[] {
  return (((t?.inputs as Obj | undefined)?.parameters as Obj[] | undefined) ?? [])
    .filter((p) => p.value === undefined && p.default === undefined)
    .map((p) => String(p.name));
}

/** Throws ManifestRejectedError `…: inputs.parameters.X was not supplied` when a call leaves a required input out. */
export function checkSuppliedInputs(wf: Workflow): void {
  const templates = (wf.spec.templates as Obj[] | undefined) ?? [];
  const byName = new Map(templates.map((t) => [String(t.name), t]));
  const given = names((wf.spec.arguments as Obj | undefined)?.parameters);
  for (const p of required(byName.get(String(wf.spec.entrypoint)))) {
    if (!given.has(p))
      throw new ManifestRejectedError(`spec.arguments.parameters: inputs.parameters.${p} was not supplied`, 'spec.arguments.parameters');
  }
  const check = (call: Obj, path: string) => {
    const callee = (call.inline as Obj | undefined) ?? byName.get(String(call.template));
    const args = names((call.arguments as Obj | undefined)?.parameters);
    for (const p of required(callee))
      if (!args.has(p)) throw new ManifestRejectedError(`${path}: inputs.parameters.${p} was not supplied`, `${path}.arguments.parameters`);
  };
  templates.forEach((t, i) => {
    ((t.steps as Obj[][] | undefined) ?? []).forEach((g, gi) => g.forEach((s, si) => check(s, `spec.templates[${i}].steps[${gi}][${si}]`)));
    (((t.dag as Obj | undefined)?.tasks as Obj[] | undefined) ?? []).forEach((task, ti) =>
      check(task, `spec.templates[${i}].dag.tasks[${ti}]`),
    );
  });
}

/** Throws ManifestRejectedError `…: failed to resolve {{X}}` for the first tag out of scope. */
export function checkVariables(wf: Workflow): void {
  const spec = wf.spec;
  const workflowParams = names((spec.arguments as Obj | undefined)?.parameters);
  const templates = (spec.templates as Obj[] | undefined) ?? [];
  const globalOutputs = new Set<string>();
  for (const t of templates) {
    for (const p of ((t.outputs as Obj | undefined)?.parameters as Obj[] | undefined) ?? [])
      if (typeof p.globalName === 'string') globalOutputs.add(p.globalName);
  }
  const known = (tag: string, t: Obj): boolean => {
    const inputs = (t.inputs ?? {}) as Obj;
    const outputs = (t.outputs ?? {}) as Obj;
    let m: RegExpExecArray | null;
    if ((m = /^inputs\.parameters\.(.+)$/.exec(tag))) return names(inputs.parameters).has(m[1]!);
    if ((m = /^inputs\.artifacts\.([^.]+)(\.path)?$/.exec(tag))) return names(inputs.artifacts).has(m[1]!);
    if ((m = /^outputs\.(parameters|artifacts)\.([^.]+)\.path$/.exec(tag))) return names(outputs[m[1]!]).has(m[2]!);
    if ((m = /^workflow\.parameters\.(.+)$/.exec(tag))) return m[1] === 'json' || workflowParams.has(m[1]!);
    if ((m = /^workflow\.outputs\.parameters\.(.+)$/.exec(tag))) return globalOutputs.has(m[1]!);
    if ((m = /^steps\.([^.]+)\./.exec(tag))) return Array.isArray(t.steps) && (t.steps as Obj[][]).flat().some((s) => s.name === m![1]);
    if ((m = /^tasks\.([^.]+)\./.exec(tag)))
      return ((t.dag as Obj | undefined)?.tasks as Obj[] | undefined)?.some((s) => s.name === m![1]) ?? false;
    return true;
  };
  templates.forEach((t, i) => {
    for (const [text, path] of strings(t, `spec.templates[${i}]`)) {
      for (const tag of tagsIn(text)) {
        if (tag.startsWith('=')) continue;
        if (!known(tag, t)) throw new ManifestRejectedError(`${path}: failed to resolve {{${tag}}}`, path);
      }
    }
  });
}
