/** `retryStrategy` around a template call (SEMANTICS §9, operator.go:processNodeRetries). */
import type { NodeStatus } from '../../types.ts';
import { addChild, createNode, setPhase, stopState, type Obj, type RunContext, type Template } from './context.ts';
import { ABSENT_ARGUMENT } from './scope.ts';
import { daemonedRetry } from './daemons.ts';
import { durationSeconds } from '../expressions/durations.ts';
import { evaluateExpression } from '../expressions/expr.ts';
import { mapLookup, substituteString } from '../expressions/substitute.ts';
import type { TemplateCall } from './template.ts';

/** One attempt of a call (template.ts executeOnce); undefined: not created (stopped). */
type Attempt = (ctx: RunContext, call: TemplateCall, retries: number | undefined) => Promise<NodeStatus | undefined>;

const RETRYABLE: Record<string, Array<NodeStatus['phase']>> = {
  Always: ['Failed', 'Error'],
  OnFailure: ['Failed'],
  OnError: ['Error'],
  OnTransientError: [],
};

/** Seconds from Argo duration text (`30`, `30s`, `2m`, `1h`); 0 when absent. */
function seconds(raw: unknown): number {
  return durationSeconds(raw) ?? 0;
}

/** The retry expression with the call's parameters and the globals substituted. */
function retryExpression(ctx: RunContext, call: TemplateCall, tmpl: Template, expression: string): string {
  const vars: Record<string, string> = {};
  for (const p of tmpl.inputs?.parameters ?? []) {
    const arg = call.arguments.parameters?.find((a) => a.name === p.name)?.value;
    const value = (arg === ABSENT_ARGUMENT ? undefined : arg) ?? p.value ?? p.default;
    if (value !== undefined && value !== null) vars[`inputs.parameters.${String(p.name)}`] = String(value);
  }
  return substituteString(expression, mapLookup(vars, ctx.globals));
}

/** `lastRetry.exitCode/status/duration/message` of the attempt that just ended, as Argo exposes them. */
function evaluateRetryExpression(expression: string, last: NodeStatus): boolean {
  const duration =
    last.startedAt && last.finishedAt ? String(Math.round((Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000)) : '0';
  const env = { lastRetry: { exitCode: last.outputs?.exitCode ?? '0', status: last.phase, duration, message: last.message ?? '' } };
  return Boolean(evaluateExpression(expression, env));
}

interface Policy {
  limit: number;
  expression?: string;
  retryable: Array<NodeStatus['phase']>;
  backoff?: Obj;
  firstStart: number;
}

/** Why the Retry node ends after `child` (its message), or undefined to try again. */
function verdict(ctx: RunContext, policy: Policy, child: NodeStatus, attempt: number): { message?: string } | undefined {
  if (child.phase === 'Succeeded') return {};
  if (!policy.retryable.includes(child.phase) || ctx.stopped) return { message: child.message };
  if (attempt >= policy.limit) return { message: 'No more retries left' };
  if (policy.expression && !evaluateRetryExpression(policy.expression, child))
    return { message: 'retryStrategy.expression evaluated to false' };
  return undefined;
}

/** Waits the backoff before the next attempt; false when maxDuration would be passed. */
async function backoffWait(policy: Policy, attempt: number): Promise<boolean> {
  const backoff = policy.backoff;
  if (!backoff) return true;
  let wait = seconds(backoff.duration) * Math.pow(Number(backoff.factor ?? 1) || 1, attempt);
  if (backoff.cap !== undefined) wait = Math.min(wait, seconds(backoff.cap));
  const max = seconds(backoff.maxDuration);
  if (max > 0 && (Date.now() - policy.firstStart) / 1000 + wait > max) return false;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait * 1000));
  return true;
}

/** Runs a call under a Retry node when a retryStrategy applies (the template's, else the workflow's). */
export async function executeRetried(ctx: RunContext, call: TemplateCall, once: Attempt): Promise<NodeStatus | undefined> {
  const tmpl = call.inline ?? ctx.templates.get(call.templateName)!;
  const strategy = (tmpl.retryStrategy ?? ctx.spec.retryStrategy) as Obj | undefined;
  if (!strategy) return once(ctx, call, undefined);
  if (ctx.stopped) return undefined;
  const retry = createNode(ctx, {
    name: call.nodeName,
    type: 'Retry',
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Running',
  });
  call.link(retry.id);
  const expression = typeof strategy.expression === 'string' ? retryExpression(ctx, call, tmpl, strategy.expression) : undefined;
  const policy: Policy = {
    limit: strategy.limit === undefined ? Infinity : Number(strategy.limit),
    expression,
    // With an expression and no policy, Argo retries Failed and Error alike.
    retryable: RETRYABLE[String(strategy.retryPolicy ?? (expression ? 'Always' : 'OnFailure'))] ?? ['Failed'],
    backoff: strategy.backoff as Obj | undefined,
    firstStart: Date.now(),
  };
  for (let attempt = 0; ; attempt++) {
    const child = await once(
      ctx,
      { ...call, nodeName: `${call.nodeName}(${attempt})`, link: (id) => addChild(ctx, retry.id, id) },
      attempt,
    );
    if (!child) {
      setPhase(ctx, retry, 'Failed', stopState(ctx)?.nodeMessage);
      return retry;
    }
    if (child.inputs) retry.inputs = child.inputs;
    if (child.outputs) retry.outputs = child.outputs;
    if (child.daemoned) {
      daemonedRetry(ctx, retry, child);
      return retry;
    }
    const end = verdict(ctx, policy, child, attempt);
    if (end) {
      setPhase(ctx, retry, child.phase, end.message);
      return retry;
    }
    if (!(await backoffWait(policy, attempt))) {
      setPhase(ctx, retry, child.phase, 'Max duration limit exceeded');
      return retry;
    }
  }
}
