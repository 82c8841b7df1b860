/**
 * The engine's workflows in this process's memory, for an engine without a database (`run-workflow` without
 * `--data-dir`: nothing it runs outlives the command). Same answers as store.ts's tables: copies in and out, newest
 * first, the manifest's metadata replaced on save, nodes upserted by id.
 */
import type { NodeStatus, Workflow, WorkflowStatus } from '../../types.ts';
import type { WorkflowRecords } from './store.ts';

interface Entry {
  seq: number;
  manifest: Omit<Workflow, 'status'>;
  status: Omit<WorkflowStatus, 'nodes'>;
  nodes: Map<string, NodeStatus>;
  deleteAfter?: Date;
}

const contains = (labels: Record<string, string> | undefined, wanted: Record<string, string>) =>
  Object.entries(wanted).every(([k, v]) => labels?.[k] === v);

export class MemoryWorkflowStore implements WorkflowRecords {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  async insert(wf: Workflow): Promise<boolean> {
    const name = wf.metadata.name!;
    if (this.entries.has(name)) return false;
    const { status, ...manifest } = structuredClone(wf);
    const { nodes, ...rest } = status ?? {};
    const entry: Entry = { seq: this.seq++, manifest, status: rest, nodes: new Map() };
    for (const n of Object.values(nodes ?? {})) entry.nodes.set(n.id, n);
    this.entries.set(name, entry);
    return true;
  }

  async save(wf: Workflow, nodes: NodeStatus[], deleteAfter?: Date): Promise<void> {
    const entry = this.entries.get(wf.metadata.name!);
    if (!entry) return;
    const { nodes: _all, ...status } = wf.status ?? {};
    entry.status = structuredClone(status);
    entry.manifest = { ...entry.manifest, metadata: structuredClone(wf.metadata) };
    entry.deleteAfter = deleteAfter;
    for (const n of nodes) entry.nodes.set(n.id, structuredClone(n));
  }

  private assemble(entry: Entry): Workflow {
    const { apiVersion, kind, metadata, spec } = structuredClone(entry.manifest);
    const nodes = Object.fromEntries([...entry.nodes].map(([id, n]) => [id, structuredClone(n)]));
    return {
      apiVersion,
      kind,
      metadata,
      spec,
      status: { ...structuredClone(entry.status), ...(entry.nodes.size > 0 ? { nodes } : {}) },
    };
  }

  private newestFirst(): Entry[] {
    return [...this.entries.values()].sort((a, b) => b.seq - a.seq);
  }

  async load(name: string): Promise<Workflow | undefined> {
    const entry = this.entries.get(name);
    return entry ? this.assemble(entry) : undefined;
  }

  async list(labels: Record<string, string>): Promise<Workflow[]> {
    return this.newestFirst()
      .filter((e) => contains(e.manifest.metadata.labels, labels))
      .map((e) => this.assemble(e));
  }

  async summaries(): Promise<Workflow[]> {
    return this.newestFirst().map((e) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: structuredClone(e.manifest.metadata),
      spec: {},
      status: structuredClone(e.status),
    }));
  }

  async delete(name: string): Promise<void> {
    this.entries.delete(name);
  }

  /** A fresh store holds nothing a previous process left. */
  async markInterrupted(): Promise<string[]> {
    return [];
  }

  async expiring(): Promise<Array<{ name: string; deleteAfter: Date }>> {
    return [...this.entries].flatMap(([name, e]) => (e.deleteAfter ? [{ name, deleteAfter: e.deleteAfter }] : []));
  }

  async ping(): Promise<void> {}
}
