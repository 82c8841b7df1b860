/**
 * `archiveLogs` (executor.go:SaveLogs, workflowpod.go): when the template's `archiveLocation.archiveLogs` (else
 * the workflow's `spec.archiveLogs`) is true, the main container's log is saved once it ends, as the artifact
 * `main-logs` at `<workflow>/<pod>/main.log` (Argo's default key format `{{workflow.name}}/{{pod.name}}`),
 * and listed in the node's outputs.
 */
import type { NodeStatus } from '../../types.ts';
import type { Obj, RunContext, Template } from './context.ts';

function archivesLogs(ctx: RunContext, tmpl: Template): boolean {
  const own = (tmpl.archiveLocation as Obj | undefined)?.archiveLogs;
  return (own ?? ctx.spec.archiveLogs) === true;
}

export async function archiveMainLog(ctx: RunContext, node: NodeStatus, tmpl: Template, logFile: string, pod: string): Promise<void> {
  if (!archivesLogs(ctx, tmpl)) return;
  const key = `${ctx.name}/${pod}/main.log`;
  // An empty log is saved too: Argo uploads the file whatever it holds.
  if (!(await ctx.store.save(logFile, key, 'none'))) await ctx.store.put(key, '');
  ((node.outputs ??= {}).artifacts ??= []).push({ name: 'main-logs', s3: { key } });
}
