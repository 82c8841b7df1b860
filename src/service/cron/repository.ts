/** The cron_workflows and cron_workflow_runs tables (migration 008). */
import type { Queryable } from '../../db/types.ts';
import type { CronWorkflowManifest } from './manifest.ts';

export interface CronCondition {
  type: string;
  status: 'True' | 'False';
  message: string;
  lastTransitionTime: string;
}

export interface CronRow {
  id: number;
  userId: number;
  owner: string;
  /** Whether the owner is admin now (only admin's runs may mount PersistentVolumeClaims). */
  ownerIsAdmin: boolean;
  namespace: string;
  name: string;
  manifest: CronWorkflowManifest;
  suspended: boolean;
  phase: 'Active' | 'Stopped';
  lastScheduledTime: Date | null;
  succeeded: number;
  failed: number;
  conditions: CronCondition[];
  createdAt: Date;
}

export interface CronRun {
  workflowName: string;
  scheduledTime: Date;
  phase: string | null;
  finishedAt: Date | null;
}

interface Row {
  id: string | number;
  user_id: string | number;
  owner: string;
  owner_is_admin: boolean;
  namespace: string;
  name: string;
  manifest: CronWorkflowManifest | string;
  suspended: boolean;
  phase: 'Active' | 'Stopped';
  last_scheduled_time: Date | string | null;
  succeeded: number;
  failed: number;
  conditions: CronCondition[] | string;
  created_at: Date | string;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

function fromRow(r: Row): CronRow {
  return {
    id: Number(r.id),
    userId: Number(r.user_id),
    owner: r.owner,
    ownerIsAdmin: r.owner_is_admin,
    namespace: r.namespace,
    name: r.name,
    manifest: json(r.manifest),
    suspended: r.suspended,
    phase: r.phase,
    lastScheduledTime: r.last_scheduled_time === null ? null : date(r.last_scheduled_time),
    succeeded: r.succeeded,
    failed: r.failed,
    conditions: json(r.conditions),
    createdAt: date(r.created_at),
  };
}

const SELECT = `SELECT c.*, u.name AS owner, u.is_admin AS owner_is_admin FROM cron_workflows c JOIN users u ON u.id = c.user_id`;

/** Inserts a CronWorkflow; false when its namespace already has one of that name. */
export async function insertCron(db: Queryable, userId: number, manifest: CronWorkflowManifest, now: Date): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO cron_workflows (user_id, namespace, name, manifest, suspended, created_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
     ON CONFLICT (name) DO NOTHING RETURNING id`,
    [userId, manifest.metadata.namespace, manifest.metadata.name, JSON.stringify(manifest), manifest.spec.suspend === true, now],
  );
  return rows.length === 1;
}

/** Every CronWorkflow (viewer undefined: the scheduler) or those the viewer may see (admin: all). */
export async function listCrons(db: Queryable, viewer?: { id: number; isAdmin: boolean }): Promise<CronRow[]> {
  const mine = viewer && !viewer.isAdmin;
  const rows = await db.query<Row>(`${SELECT} ${mine ? 'WHERE c.user_id = $1' : ''} ORDER BY c.namespace, c.name`, mine ? [viewer.id] : []);
  return rows.map(fromRow);
}

/** One CronWorkflow by name if the viewer may see it (another user's answers as missing). */
export async function findCron(db: Queryable, name: string, viewer: { id: number; isAdmin: boolean }): Promise<CronRow | undefined> {
  const rows = await db.query<Row>(`${SELECT} WHERE c.name = $1 AND ($2::boolean OR c.user_id = $3) ORDER BY c.namespace LIMIT 1`, [
    name,
    viewer.isAdmin,
    viewer.id,
  ]);
  return rows[0] && fromRow(rows[0]);
}

/** Replaces a CronWorkflow's manifest (Argo's update: its status and runs are kept); `suspended` follows the spec's. */
export async function replaceCron(db: Queryable, id: number, manifest: CronWorkflowManifest): Promise<void> {
  await db.query('UPDATE cron_workflows SET manifest = $2::jsonb, suspended = $3 WHERE id = $1', [
    id,
    JSON.stringify(manifest),
    manifest.spec.suspend === true,
  ]);
}

export async function deleteCron(db: Queryable, id: number): Promise<void> {
  await db.query('DELETE FROM cron_workflows WHERE id = $1', [id]);
}

export async function setSuspended(db: Queryable, id: number, suspended: boolean): Promise<void> {
  await db.query('UPDATE cron_workflows SET suspended = $2 WHERE id = $1', [id, suspended]);
}

/**
 * Saves the status fields the controller changes, and only those: `suspended` belongs to the suspend and resume
 * routes, so a pass that read the row before a user's suspend never writes the old value back.
 */
export async function saveStatus(db: Queryable, cron: CronRow): Promise<void> {
  await db.query(
    `UPDATE cron_workflows SET phase = $2, last_scheduled_time = $3, succeeded = $4, failed = $5, conditions = $6::jsonb
     WHERE id = $1`,
    [cron.id, cron.phase, cron.lastScheduledTime, cron.succeeded, cron.failed, JSON.stringify(cron.conditions)],
  );
}

export async function recordRun(db: Queryable, cronId: number, workflowName: string, scheduled: Date): Promise<void> {
  await db.query('INSERT INTO cron_workflow_runs (workflow_name, cron_id, scheduled_time) VALUES ($1, $2, $3)', [
    workflowName,
    cronId,
    scheduled,
  ]);
}

/** The runs of a CronWorkflow, oldest first. */
export async function runsOf(db: Queryable, cronId: number): Promise<CronRun[]> {
  const rows = await db.query<{
    workflow_name: string;
    scheduled_time: Date | string;
    phase: string | null;
    finished_at: Date | string | null;
  }>(
    'SELECT workflow_name, scheduled_time, phase, finished_at FROM cron_workflow_runs WHERE cron_id = $1 ORDER BY scheduled_time, workflow_name',
    [cronId],
  );
  return rows.map((r) => ({
    workflowName: r.workflow_name,
    scheduledTime: date(r.scheduled_time),
    phase: r.phase,
    finishedAt: r.finished_at === null ? null : date(r.finished_at),
  }));
}

export async function finishRun(db: Queryable, workflowName: string, phase: string, at: Date): Promise<void> {
  await db.query('UPDATE cron_workflow_runs SET phase = $2, finished_at = $3 WHERE workflow_name = $1', [workflowName, phase, at]);
}

export async function forgetRun(db: Queryable, workflowName: string): Promise<void> {
  await db.query('DELETE FROM cron_workflow_runs WHERE workflow_name = $1', [workflowName]);
}
