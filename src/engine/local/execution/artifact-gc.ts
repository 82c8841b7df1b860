/**
 * Artifact garbage collection (controller/artifact_gc.go): each output artifact a node saved is deleted when its
 * strategy's moment comes — the artifact's own `artifactGC.strategy`, else the workflow's `spec.artifactGC`
 * (`Never` keeps it). `OnWorkflowCompletion`: once the workflow is done; `OnWorkflowDeletion`: when it is deleted.
 */
import type { Workflow } from '../../types.ts';
import type { Obj } from './context.ts';

type GcStrategy = 'OnWorkflowCompletion' | 'OnWorkflowDeletion';

/** The artifact-store keys of `wf`'s saved output artifacts whose strategy is `strategy`. */
export function gcKeys(wf: Workflow, strategy: GcStrategy): string[] {
  const templates = new Map(((wf.spec.templates as Obj[] | undefined) ?? []).map((t) => [String(t.name), t]));
  const fallback = (wf.spec.artifactGC as Obj | undefined)?.strategy;
  const keys = new Set<string>();
  for (const node of Object.values(wf.status?.nodes ?? {})) {
    const declared = ((templates.get(node.templateName ?? '')?.outputs as Obj | undefined)?.artifacts as Obj[] | undefined) ?? [];
    for (const art of node.outputs?.artifacts ?? []) {
      const key = (art.s3 as Obj | undefined)?.key;
      if (typeof key !== 'string') continue;
      const own = (declared.find((d) => d.name === art.name)?.artifactGC as Obj | undefined)?.strategy;
      if ((own ?? fallback) === strategy) keys.add(key);
    }
  }
  return [...keys];
}
