/**
 * Submit-time check of `{{tags}}` (SEMANTICS §2, validate:resolveAllVariables), conservatively: a tag naming an
 * input, output path, workflow parameter or step/task the workflow does not declare is refused.
 */
import { ManifestRejectedError } from '../errors.ts';
import type { Workflow } from '../types.ts';
import type { Obj } from './context.ts';
import { tagsIn } from './substitute.ts';

function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [value, path];
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], `${path}[${i}]`);
  else if (value !== null && typeof value === 'object') {
    // An inline template has its own inputs: its tags are not the enclosing template's.
    for (const [k, v] of Object.entries(value as Obj)) if (k !== 'inline') yield* strings(v, `${path}.${k}`);
  }
}

const names = (list: unknown) => new Set(((list as Obj[] | undefined) ?? []).map((x) => String(x.name)));

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
    if ((m = /^workflow\.parameters\.(.+)$/.exec(tag))) return workflowParams.has(m[1]!);
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
