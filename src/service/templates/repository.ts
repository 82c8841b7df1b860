/** The workflow_templates table (migration 011). */
import type { Queryable } from '../../db/types.ts';
import type { TemplateManifest, TemplateKind } from './manifest.ts';

export interface TemplateRow {
  id: number;
  kind: TemplateKind;
  /** undefined: a ClusterWorkflowTemplate, kept by admin for everyone. */
  userId?: number;
  owner: string | null;
  namespace: string;
  name: string;
  manifest: TemplateManifest;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string | number;
  kind: TemplateKind;
  user_id: string | number | null;
  owner: string | null;
  namespace: string;
  name: string;
  manifest: TemplateManifest | string;
  created_at: Date | string;
  updated_at: Date | string;
}

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

function fromRow(r: Row): TemplateRow {
  return {
    id: Number(r.id),
    kind: r.kind,
    ...(r.user_id !== null && { userId: Number(r.user_id) }),
    owner: r.owner,
    namespace: r.namespace,
    name: r.name,
    manifest: typeof r.manifest === 'string' ? (JSON.parse(r.manifest) as TemplateManifest) : r.manifest,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

const SELECT = 'SELECT t.*, u.name AS owner FROM workflow_templates t LEFT JOIN users u ON u.id = t.user_id';

/** Who asks: their own WorkflowTemplates are theirs alone; admin sees everyone's. */
interface Viewer {
  id: number;
  isAdmin: boolean;
}

/** Inserts a template; false when its owner (or, for a cluster template, anyone) already has one of that name. */
export async function insertTemplate(db: Queryable, userId: number | undefined, manifest: TemplateManifest): Promise<boolean> {
  const cluster = manifest.kind === 'ClusterWorkflowTemplate';
  const conflict = cluster ? '(name) WHERE user_id IS NULL' : '(user_id, namespace, name) WHERE user_id IS NOT NULL';
  const rows = await db.query(
    `INSERT INTO workflow_templates (kind, user_id, namespace, name, manifest) VALUES ($1, $2, $3, $4, $5::jsonb)
     ON CONFLICT ${conflict} DO NOTHING RETURNING id`,
    [manifest.kind, cluster ? null : userId, manifest.metadata.namespace ?? '', manifest.metadata.name, JSON.stringify(manifest)],
  );
  return rows.length === 1;
}

/** Replaces a template's manifest (its name and kind unchanged). */
export async function replaceTemplate(db: Queryable, id: number, manifest: TemplateManifest): Promise<void> {
  await db.query('UPDATE workflow_templates SET manifest = $2::jsonb, updated_at = now() WHERE id = $1', [id, JSON.stringify(manifest)]);
}

export async function deleteTemplate(db: Queryable, id: number): Promise<void> {
  await db.query('DELETE FROM workflow_templates WHERE id = $1', [id]);
}

/** The WorkflowTemplates the viewer may see (admin: all), or every ClusterWorkflowTemplate. */
export async function listTemplates(db: Queryable, kind: TemplateKind, viewer: Viewer): Promise<TemplateRow[]> {
  const rows =
    kind === 'ClusterWorkflowTemplate'
      ? await db.query<Row>(`${SELECT} WHERE t.user_id IS NULL ORDER BY t.name`)
      : await db.query<Row>(
          `${SELECT} WHERE t.user_id IS NOT NULL AND ($1::boolean OR t.user_id = $2) ORDER BY u.name, t.namespace, t.name`,
          [viewer.isAdmin, viewer.id],
        );
  return rows.map(fromRow);
}

/**
 * One template by name: a ClusterWorkflowTemplate, or a WorkflowTemplate of `owner` (default: the viewer), which
 * only admin may name; another user's answers as missing.
 */
export async function findTemplate(
  db: Queryable,
  kind: TemplateKind,
  name: string,
  viewer: Viewer & { name: string },
  owner = viewer.name,
): Promise<TemplateRow | undefined> {
  if (kind === 'ClusterWorkflowTemplate') {
    const rows = await db.query<Row>(`${SELECT} WHERE t.user_id IS NULL AND t.name = $1`, [name]);
    return rows[0] && fromRow(rows[0]);
  }
  if (owner !== viewer.name && !viewer.isAdmin) return undefined;
  const rows = await db.query<Row>(`${SELECT} WHERE t.user_id IS NOT NULL AND t.name = $1 AND u.name = $2 ORDER BY t.namespace LIMIT 1`, [
    name,
    owner,
  ]);
  return rows[0] && fromRow(rows[0]);
}

/** What a user's references resolve to: their own WorkflowTemplates and every ClusterWorkflowTemplate. */
export async function templatesFor(db: Queryable, userId: number): Promise<TemplateManifest[]> {
  const rows = await db.query<Row>(`${SELECT} WHERE t.user_id IS NULL OR t.user_id = $1 ORDER BY t.id`, [userId]);
  return rows.map((r) => fromRow(r).manifest);
}
