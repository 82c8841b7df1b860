/** Persistence of local workflows and their nodes (migration 003). */
import type { Db } from '../../../db/types.ts';
import type { NodeStatus, Workflow, WorkflowStatus } from '../../types.ts';

interface WorkflowRow {
  name: string;
  manifest: Workflow;
  status: WorkflowStatus;
  phase: string | null;
  delete_after: string | Date | null;
}

const parseJson = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** What the engine keeps of its workflows: the database tables (WorkflowStore) or this process's memory. */
export interface WorkflowRecords {
  /** false when the name is taken. */
  insert(wf: Workflow): Promise<boolean>;
  /** Writes the workflow-level status and metadata and upserts the given nodes. */
  save(wf: Workflow, nodes: NodeStatus[], deleteAfter?: Date): Promise<void>;
  load(name: string): Promise<Workflow | undefined>;
  /** Workflows whose labels contain all of `labels`, newest first. */
  list(labels: Record<string, string>): Promise<Workflow[]>;
  /** Every workflow, newest first, with its workflow-level status but not its nodes. */
  summaries(): Promise<Workflow[]>;
  delete(name: string): Promise<void>;
  /** Workflows left unfinished by a previous process: marked Error with `message`; returns their names. */
  markInterrupted(message: string, at: string): Promise<string[]>;
  /** Finished workflows with a TTL: name and when to delete. */
  expiring(): Promise<Array<{ name: string; deleteAfter: Date }>>;
  /** Resolves when the store answers (the engine's `ping`). */
  ping(): Promise<void>;
}

export class WorkflowStore implements WorkflowRecords {
  constructor(private readonly db: Db) {}

  async insert(wf: Workflow): Promise<boolean> {
    const { status, ...manifest } = wf;
    const rows = await this.db.query(
      `INSERT INTO local_workflows (name, uid, namespace, labels, manifest, phase, status)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::jsonb) ON CONFLICT (name) DO NOTHING RETURNING name`,
      [
        wf.metadata.name,
        wf.metadata.uid,
        wf.metadata.namespace,
        JSON.stringify(wf.metadata.labels ?? {}),
        JSON.stringify(manifest),
        status?.phase ?? null,
        JSON.stringify(status ?? {}),
      ],
    );
    return rows.length === 1;
  }

  /** Writes the workflow-level status and the given nodes in one transaction. */
  async save(wf: Workflow, nodes: NodeStatus[], deleteAfter?: Date): Promise<void> {
    const { nodes: _all, ...status } = wf.status ?? {};
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE local_workflows SET phase = $2, status = $3::jsonb, labels = $4::jsonb, manifest = jsonb_set(manifest, '{metadata}', $5::jsonb),
           finished_at = $6, delete_after = $7 WHERE name = $1`,
        [
          wf.metadata.name,
          status.phase ?? null,
          JSON.stringify(status),
          JSON.stringify(wf.metadata.labels ?? {}),
          JSON.stringify(wf.metadata),
          status.finishedAt ?? null,
          deleteAfter?.toISOString() ?? null,
        ],
      );
      if (nodes.length > 0) {
        await tx.query(
          `INSERT INTO local_nodes (workflow_name, node_id, status)
           SELECT $1, n->>'id', n FROM jsonb_array_elements($2::jsonb) AS n
           ON CONFLICT (workflow_name, node_id) DO UPDATE SET status = EXCLUDED.status`,
          [wf.metadata.name, JSON.stringify(nodes)],
        );
      }
    });
  }

  private async assemble(row: WorkflowRow): Promise<Workflow> {
    const manifest = parseJson<Workflow>(row.manifest);
    const status = parseJson<WorkflowStatus>(row.status);
    const nodeRows = await this.db.query<{ status: unknown }>('SELECT status FROM local_nodes WHERE workflow_name = $1', [row.name]);
    const nodes: Record<string, NodeStatus> = {};
    for (const r of nodeRows) {
      const n = parseJson<NodeStatus>(r.status);
      nodes[n.id] = n;
    }
    // jsonb does not keep key order; give the workflow Argo's.
    return {
      apiVersion: manifest.apiVersion,
      kind: manifest.kind,
      metadata: manifest.metadata,
      spec: manifest.spec,
      status: { ...status, ...(nodeRows.length > 0 ? { nodes } : {}) },
    };
  }

  async load(name: string): Promise<Workflow | undefined> {
    const rows = await this.db.query<WorkflowRow>(
      'SELECT name, manifest, status, phase, delete_after FROM local_workflows WHERE name = $1',
      [name],
    );
    return rows[0] ? this.assemble(rows[0]) : undefined;
  }

  /** Workflows whose labels contain all of `labels`. */
  async list(labels: Record<string, string>): Promise<Workflow[]> {
    const rows = await this.db.query<WorkflowRow>(
      'SELECT name, manifest, status, phase, delete_after FROM local_workflows WHERE labels @> $1::jsonb ORDER BY created_at DESC, name',
      [JSON.stringify(labels)],
    );
    return Promise.all(rows.map((r) => this.assemble(r)));
  }

  /** Every workflow, newest first, with its workflow-level status but not its nodes (a full list stays small). */
  async summaries(): Promise<Workflow[]> {
    const rows = await this.db.query<{ metadata: unknown; status: unknown }>(
      "SELECT manifest->'metadata' AS metadata, status FROM local_workflows ORDER BY created_at DESC, name",
    );
    return rows.map((r) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: parseJson<Workflow['metadata']>(r.metadata),
      spec: {},
      status: parseJson<WorkflowStatus>(r.status),
    }));
  }

  async delete(name: string): Promise<void> {
    await this.db.query('DELETE FROM local_workflows WHERE name = $1', [name]);
  }

  /** Workflows left unfinished by a previous process: marked Error with `message`; returns their names. */
  async markInterrupted(message: string, at: string): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ name: string }>(
        `UPDATE local_workflows SET phase = 'Error', finished_at = $2,
           status = status || jsonb_build_object('phase', 'Error', 'message', $1::text, 'finishedAt', $3::text)
         WHERE phase IS NULL OR phase IN ('Pending', 'Running') RETURNING name`,
        [message, at, at],
      );
      const names = rows.map((r) => r.name);
      if (names.length > 0) {
        await tx.query(
          `UPDATE local_nodes SET status = status || jsonb_build_object('phase', 'Error', 'message', $2::text, 'finishedAt', $3::text)
           WHERE workflow_name = ANY($1::text[]) AND status->>'phase' IN ('Pending', 'Running')`,
          [names, message, at],
        );
      }
      return names;
    });
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1 FROM local_workflows LIMIT 1');
  }

  /** Finished workflows with a TTL: name and when to delete. */
  async expiring(): Promise<Array<{ name: string; deleteAfter: Date }>> {
    const rows = await this.db.query<{ name: string; delete_after: string | Date }>(
      'SELECT name, delete_after FROM local_workflows WHERE delete_after IS NOT NULL',
    );
    return rows.map((r) => ({ name: r.name, deleteAfter: new Date(r.delete_after) }));
  }
}
