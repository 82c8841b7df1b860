/** What later steps / dependent tasks can reference: `steps.X.*` / `tasks.X.*` (SEMANTICS §2, §4). */
import type { NodeStatus } from '../../types.ts';
import type { ArtifactRef, Obj, Template } from './context.ts';
import { AbsentOutputError, LoopExpansionError } from '../errors.ts';
import { nestVariables } from '../expressions/expr.ts';
import type { ExpressionScope, Lookup } from '../expressions/substitute.ts';

function loopIndex(node: NodeStatus): number {
  const m = /\((\d+):[^()]*\)$/.exec(node.name);
  return m ? Number(m[1]) : 0;
}

function parsesAsContainer(v: string): unknown {
  try {
    const parsed = JSON.parse(v) as unknown;
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Argo's stand-in for an argument that is exactly `{{ref}}` to an absent output: the called template treats the
 * parameter as not supplied, so its input default applies (SEMANTICS §2).
 */
export const ABSENT_ARGUMENT = '__argo-internal.absent-optional-output__';

export class Scope {
  readonly vars = new Map<string, string>();
  /** Output parameters of Skipped/Omitted steps or tasks that declare no default: present, but without a value. */
  readonly absent = new Set<string>();
  readonly artifacts = new Map<string, ArtifactRef>();

  constructor(
    readonly prefix: 'steps' | 'tasks',
    seedArtifacts?: Map<string, ArtifactRef>,
    /** The template's own variables (globals, inputs), which expressions may read too. */
    readonly baseVars: Record<string, string> = {},
  ) {
    for (const [k, v] of seedArtifacts ?? []) this.artifacts.set(k, v);
  }

  /** Expression evaluation over base variables, step/task variables and `extra` (loop items). */
  expressions(final: boolean, extra: Record<string, string> = {}): ExpressionScope {
    return { final, env: () => nestVariables([...Object.entries(this.baseVars), ...this.vars, ...Object.entries(extra)]) };
  }

  readonly lookup: Lookup = (tag) => {
    if (this.absent.has(tag)) throw new AbsentOutputError(tag);
    return this.vars.get(tag);
  };

  /** Whether `value` is exactly one tag naming an absent output. */
  isAbsentReference(value: string): boolean {
    const m = /^\{\{([^{}]*)\}\}$/.exec(value);
    return m !== null && this.absent.has(m[1]!.trim());
  }

  private setBasics(name: string, node: NodeStatus): void {
    const p = `${this.prefix}.${name}`;
    this.vars.set(`${p}.id`, node.id);
    this.vars.set(`${p}.status`, node.phase);
    if (node.startedAt) this.vars.set(`${p}.startedAt`, node.startedAt);
    if (node.finishedAt) this.vars.set(`${p}.finishedAt`, node.finishedAt);
    if (node.podIP) this.vars.set(`${p}.ip`, node.podIP);
  }

  /**
   * Records one (non-loop) step or task. A Skipped/Omitted one has no outputs: its template's declared output
   * parameters read as their `valueFrom.default`, or are absent (scope:addSkippedNodeOutputsToScope).
   */
  recordNode(name: string, node: NodeStatus, tmpl?: Template): void {
    this.setBasics(name, node);
    const p = `${this.prefix}.${name}`;
    const out = node.outputs;
    if ((node.phase === 'Skipped' || node.phase === 'Omitted') && !out) {
      for (const param of tmpl?.outputs?.parameters ?? []) {
        const key = `${p}.outputs.parameters.${String(param.name)}`;
        const fallback = (param.valueFrom as Obj | undefined)?.default;
        if (fallback !== undefined && fallback !== null) this.vars.set(key, String(fallback));
        else this.absent.add(key);
      }
      return;
    }
    if (!out || node.phase === 'Skipped' || node.phase === 'Omitted') return;
    if (out.result !== undefined) this.vars.set(`${p}.outputs.result`, out.result);
    if (out.exitCode !== undefined) this.vars.set(`${p}.exitCode`, out.exitCode);
    for (const param of out.parameters ?? [])
      if (param.value !== undefined) this.vars.set(`${p}.outputs.parameters.${param.name}`, param.value);
    for (const art of (out.artifacts ?? []) as ArtifactRef[]) this.artifacts.set(`${p}.outputs.artifacts.${art.name}`, art);
  }

  /** Records a loop: aggregates over its Succeeded children, ordered by index; `status`/`id` are the group's. */
  recordLoop(name: string, group: NodeStatus, children: NodeStatus[]): void {
    this.setBasics(name, group);
    const p = `${this.prefix}.${name}`;
    const done = children.filter((c) => c.phase === 'Succeeded').sort((a, b) => loopIndex(a) - loopIndex(b));
    const maps: Array<Record<string, string>> = [];
    const byParam = new Map<string, string[]>();
    const results: string[] = [];
    for (const child of done) {
      const params = child.outputs?.parameters ?? [];
      if (params.length > 0) {
        const sorted: Record<string, string> = {};
        for (const param of [...params].sort((a, b) => a.name.localeCompare(b.name))) sorted[param.name] = param.value ?? '';
        maps.push(sorted);
      }
      for (const param of params) {
        if (!byParam.has(param.name)) byParam.set(param.name, []);
        byParam.get(param.name)!.push(param.value ?? '');
      }
      const result = child.outputs?.result;
      if (result !== undefined) {
        try {
          results.push(JSON.stringify(JSON.parse(result)));
        } catch {
          throw new LoopExpansionError(`unable to aggregate outputs.result of '${name}': '${result}' is not JSON`);
        }
      }
    }
    this.vars.set(`${p}.outputs.parameters`, JSON.stringify(maps));
    for (const [param, values] of byParam) {
      const parsed = values.map(parsesAsContainer);
      const json = parsed.every((v) => v !== undefined) ? JSON.stringify(parsed) : JSON.stringify(values);
      this.vars.set(`${p}.outputs.parameters.${param}`, json);
    }
    this.vars.set(`${p}.outputs.result`, `[${results.join(',')}]`);
  }
}
