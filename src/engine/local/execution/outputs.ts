/** Outputs of steps/dag templates, taken from their scope (SEMANTICS §10). */
import type { NodeStatus } from '../../types.ts';
import type { ArtifactRef, Obj, RunContext, Template } from './context.ts';
import { UnresolvedVariableError } from '../errors.ts';
import { evaluateExpression, nestVariables } from '../expressions/expr.ts';
import type { Scope } from './scope.ts';
import { mapLookup, substituteString, tagsIn } from '../expressions/substitute.ts';

/**
 * An output artifact chosen by `fromExpression` (operator.go: the expression sees `steps.X.outputs.artifacts.Y` and
 * `tasks.…` as artifacts); undefined when it names none.
 */
function artifactFromExpression(src: string, inputVars: Record<string, string>, scope: Scope | undefined): ArtifactRef | undefined {
  const flat: Array<[string, unknown]> = [...Object.entries(inputVars), ...(scope?.vars ?? [])];
  for (const [k, v] of scope?.artifacts ?? []) flat.push([k, v]);
  const result = evaluateExpression(src, nestVariables(flat as Array<[string, string]>));
  return result !== null && typeof result === 'object' && typeof (result as Obj).name === 'string' ? (result as ArtifactRef) : undefined;
}

/** Fills `node.outputs` from `valueFrom.parameter` / `expression` / `default` and artifact `from`; throws when one cannot be resolved. */
export function resolveTemplateOutputs(
  ctx: RunContext,
  node: NodeStatus,
  tmpl: Template,
  scope: Scope | undefined,
  inputVars: Record<string, string>,
): void {
  const lookup = (tag: string) => scope?.lookup(tag) ?? mapLookup(inputVars)(tag);
  for (const p of tmpl.outputs?.parameters ?? []) {
    const vf = (p.valueFrom ?? {}) as Obj;
    let value: string | undefined;
    if (typeof vf.parameter === 'string') {
      try {
        value = substituteString(vf.parameter, lookup, () => true);
      } catch (err) {
        if (!(err instanceof UnresolvedVariableError)) throw err;
      }
    } else if (typeof vf.expression === 'string') {
      const env = nestVariables([...Object.entries(inputVars), ...(scope?.vars ?? [])]);
      const result = evaluateExpression(vf.expression, env);
      if (result !== undefined && result !== null) value = typeof result === 'string' ? result : JSON.stringify(result);
    } else if (p.value !== undefined) {
      value = String(p.value);
    }
    if (value === undefined && vf.default !== undefined) value = String(vf.default);
    if (value === undefined)
      throw new UnresolvedVariableError(
        String(vf.parameter ?? vf.expression ?? `outputs.parameters.${String(p.name)}`).replace(/^\{\{|\}\}$/g, ''),
      );
    (node.outputs ??= {}).parameters = [...(node.outputs.parameters ?? []), { name: String(p.name), value }];
    if (typeof p.globalName === 'string') ctx.globals[`workflow.outputs.parameters.${p.globalName}`] = value;
  }
  for (const a of tmpl.outputs?.artifacts ?? []) {
    const tag = typeof a.from === 'string' ? tagsIn(a.from)[0] : undefined;
    const ref =
      typeof a.fromExpression === 'string'
        ? artifactFromExpression(a.fromExpression, inputVars, scope)
        : tag
          ? (scope?.artifacts.get(tag) ?? ctx.globalArtifacts.get(tag))
          : undefined;
    if (!ref) {
      if (a.optional) continue;
      throw new UnresolvedVariableError(
        typeof a.fromExpression === 'string' ? a.fromExpression : (tag ?? `outputs.artifacts.${String(a.name)}`),
      );
    }
    const art: ArtifactRef = { ...ref, name: String(a.name) };
    (node.outputs ??= {}).artifacts = [...(node.outputs.artifacts ?? []), art];
    if (typeof a.globalName === 'string')
      ctx.globalArtifacts.set(`workflow.outputs.artifacts.${a.globalName}`, { ...art, name: a.globalName });
  }
  ctx.touch(node);
}
