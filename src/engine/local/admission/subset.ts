/**
 * The part of Argo the local engine runs (DESIGN §6). Anything outside it is refused at submit, naming the
 * field, so nothing is silently ignored.
 */
import type { Workflow } from '../../types.ts';
import { dependsTasks, parseDepends } from '../expressions/depends.ts';
import { DependsExpressionError } from '../errors.ts';
import { tagsIn } from '../expressions/substitute.ts';
import { knownEntrypoint } from '../pods/images.ts';
import { checkContainerSet } from './container-set.ts';
import { checkExpression, checkShape, reject, USE_ARGO } from './shape.ts';
import { SPEC } from './shapes.ts';

export { USE_ARGO } from './shape.ts';

type Obj = Record<string, unknown>;

/** Parses every `{{= expr}}` tag under `value`, refusing the field of the first one outside the supported subset. */
function checkExpressionTags(value: unknown, path: string): void {
  if (typeof value === 'string') {
    const tags = tagsIn(value).filter((t) => t.startsWith('='));
    if (tags.length < value.split('{{=').length - 1) reject(path, 'an expression tag ({{=) is not closed with }}');
    for (const tag of tags) checkExpression(tag.slice(1), path);
  } else if (Array.isArray(value)) value.forEach((v, i) => checkExpressionTags(v, `${path}[${i}]`));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value as Obj)) checkExpressionTags(v, `${path}.${k}`);
}

const KINDS = ['container', 'script', 'containerSet', 'steps', 'dag', 'suspend', 'http', 'data'];

/** A container needs a command unless its image's entrypoint is known (pods/images.ts). */
function needCommand(b: Obj, field: string): void {
  if ((!Array.isArray(b.command) || b.command.length === 0) && !knownEntrypoint(b.image))
    reject(field, `a command is required by the local engine (images are not pulled, so their entrypoint is unknown); ${USE_ARGO}`);
}

/** One kind per template; every container it starts has a command; outputs and retry policy it can give. */
function checkBody(t: Obj, path: string): void {
  const kinds = KINDS.filter((k) => t[k] !== undefined);
  if (kinds.length !== 1)
    reject(
      path,
      kinds.length === 0
        ? 'template has no container, script, containerSet, steps, dag, suspend, http or data'
        : `template has more than one kind (${kinds.join(', ')})`,
    );
  const body = (t.container ?? t.script) as Obj | undefined;
  if (body) needCommand(body, `${path}.${kinds[0]}.command`);
  const set = t.containerSet as Obj | undefined;
  if (set) {
    checkContainerSet(set, `${path}.containerSet`);
    ((set.containers as Obj[] | undefined) ?? []).forEach((c, i) => needCommand(c, `${path}.containerSet.containers[${i}].command`));
  }
  for (const kind of ['initContainers', 'sidecars'] as const) {
    const list = (t[kind] as Obj[] | undefined) ?? [];
    if (list.length > 0 && !body && !set) reject(`${path}.${kind}`, `${kind} need a container or script template`);
    list.forEach((c, i) => needCommand(c, `${path}.${kind}[${i}].command`));
  }
  if (t.daemon === true && !body) reject(`${path}.daemon`, 'daemon needs a container or script template');
  for (const [j, p] of (((t.outputs as Obj | undefined)?.parameters as Obj[] | undefined) ?? []).entries()) {
    const vf = p.valueFrom as Obj | undefined;
    if ((body || set) && vf && vf.path === undefined)
      reject(`${path}.outputs.parameters[${j}].valueFrom.path`, 'container and script outputs need valueFrom.path');
    if (vf?.expression !== undefined) checkExpression(String(vf.expression), `${path}.outputs.parameters[${j}].valueFrom.expression`);
  }
  const rs = t.retryStrategy as Obj | undefined;
  if (rs?.retryPolicy !== undefined && !['Always', 'OnFailure', 'OnError', 'OnTransientError'].includes(String(rs.retryPolicy))) {
    reject(`${path}.retryStrategy.retryPolicy`, `unknown retry policy '${String(rs.retryPolicy)}'`);
  }
}

/** A DAG's tasks: `depends`/`dependencies` and `target` name tasks of it; continueOn is not mixed with depends. */
function checkDag(dag: Obj, path: string, calls: Array<[Obj, string]>): void {
  const tasks = (dag.tasks as Obj[] | undefined) ?? [];
  const taskNames = new Set(tasks.map((x) => String(x.name)));
  const usesDepends = tasks.some((x) => x.depends !== undefined);
  tasks.forEach((task, ti) => {
    const tp = `${path}.dag.tasks[${ti}]`;
    calls.push([task, tp]);
    if (usesDepends && task.continueOn !== undefined) reject(`${tp}.continueOn`, 'continueOn cannot be used in a DAG that uses depends');
    let refs: Set<string>;
    try {
      refs =
        task.depends !== undefined
          ? dependsTasks(parseDepends(String(task.depends)))
          : new Set(((task.dependencies as string[] | undefined) ?? []).map(String));
    } catch (err) {
      if (err instanceof DependsExpressionError) reject(`${tp}.depends`, err.message);
      throw err;
    }
    for (const r of refs)
      if (!taskNames.has(r))
        reject(`${tp}.${task.depends !== undefined ? 'depends' : 'dependencies'}`, `task '${r}' does not exist in this dag`);
  });
  for (const target of String(dag.target ?? '')
    .split(/\s+/)
    .filter((x) => x && !x.includes('{{'))) {
    if (!taskNames.has(target)) reject(`${path}.dag.target`, `task '${target}' does not exist in this dag`);
  }
}

function checkTemplate(t: Obj, path: string, names: Set<string>): void {
  checkBody(t, path);
  const calls: Array<[Obj, string]> = [];
  if (Array.isArray(t.steps)) (t.steps as Obj[][]).forEach((g, gi) => g.forEach((s, si) => calls.push([s, `${path}.steps[${gi}][${si}]`])));
  if (t.dag) checkDag(t.dag as Obj, path, calls);
  for (const [call, cp] of [...calls]) checkHookTemplates(call, cp, names);
  for (const [call, cp] of calls) {
    if (call.inline !== undefined) {
      if (call.template !== undefined) reject(`${cp}.inline`, 'a step or task has either template or inline, not both');
      checkTemplate(call.inline as Obj, `${cp}.inline`, names);
    } else if (!names.has(String(call.template))) reject(`${cp}.template`, `template '${String(call.template)}' not found`);
  }
}

/** `onExit` and every hook name a template of the workflow; non-exit hooks need an expression (hooks.go). */
function checkHookTemplates(holder: Obj, path: string, names: Set<string>): void {
  if (typeof holder.onExit === 'string' && !names.has(holder.onExit)) reject(`${path}.onExit`, `template '${holder.onExit}' not found`);
  for (const [k, h] of Object.entries((holder.hooks as Obj | undefined) ?? {})) {
    const hook = h as Obj;
    if (!names.has(String(hook.template))) reject(`${path}.hooks.${k}.template`, `template '${String(hook.template)}' not found`);
    if (k !== 'exit') {
      if (typeof hook.expression !== 'string' || !hook.expression)
        reject(`${path}.hooks.${k}.expression`, `Expression required for hook ${k}`);
      checkExpression(hook.expression, `${path}.hooks.${k}.expression`);
    }
  }
}

/** Throws ManifestRejectedError naming the first field the local engine cannot run. */
export function checkLocalSubset(manifest: Workflow): void {
  checkShape(manifest.spec, SPEC, 'spec');
  checkExpressionTags(manifest.spec, 'spec');
  const templates = (manifest.spec.templates as Obj[] | undefined) ?? [];
  const names = new Set(templates.map((t) => String(t.name)));
  if (!manifest.spec.entrypoint) reject('spec.entrypoint', 'an entrypoint is required');
  if (!names.has(String(manifest.spec.entrypoint))) reject('spec.entrypoint', `template '${String(manifest.spec.entrypoint)}' not found`);
  templates.forEach((t, i) => checkTemplate(t, `spec.templates[${i}]`, names));
  checkHookTemplates(manifest.spec as Obj, 'spec', names);
}
