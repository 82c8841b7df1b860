import type { Queryable } from '../../db/types.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { RunInProgressError } from './errors.ts';
import type { RunChange } from './changes.ts';

/** A recipe run as the runs table records it. */
export interface Run {
  id: number;
  userId: number;
  username: string;
  recipePath: string;
  recipeId: string;
  recipeName: string;
  workflowName: string | null;
  engine: string;
  outputType: string;
  overwrite: boolean;
  phase: string | null;
  progress: string | null;
  message: string | null;
  submittedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The engine's resource version of the workflow when this row was last written from it. */
  resourceVersion: string | null;
}

interface RunRow {
  id: string | number;
  user_id: string | number;
  username: string;
  recipe_path: string;
  recipe_id: string;
  recipe_name: string;
  workflow_name: string | null;
  engine: string;
  output_type: string;
  overwrite: boolean;
  phase: string | null;
  progress: string | null;
  message: string | null;
  submitted_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  resource_version: string | null;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function toRun(row: RunRow): Run {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    username: row.username,
    recipePath: row.recipe_path,
    recipeId: row.recipe_id,
    recipeName: row.recipe_name,
    workflowName: row.workflow_name,
    engine: row.engine,
    outputType: row.output_type,
    overwrite: row.overwrite,
    phase: row.phase,
    progress: row.progress,
    message: row.message,
    submittedAt: new Date(row.submitted_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    resourceVersion: row.resource_version ?? null,
  };
}

const SELECT = `SELECT r.*, u.name AS username FROM recipe_runs r JOIN users u ON u.id = r.user_id`;

export const FINISHED_PHASES = new Set(['Succeeded', 'Failed', 'Error']);

/**
 * Reserves a run of a recipe before anything is submitted. The partial unique
 * index on unfinished pvc runs makes the first of several racing submissions
 * that publish one recipe id win; the others get RunInProgressError.
 * Temporary-output runs never contend.
 */
export async function reserveRun(
  db: Queryable,
  run: { userId: number; recipePath: string; recipeId: string; recipeName: string; engine: string; outputType: string; overwrite: boolean },
): Promise<number> {
  try {
    const rows = await db.query<{ id: string | number }>(
      `INSERT INTO recipe_runs (user_id, recipe_path, recipe_id, recipe_name, engine, output_type, overwrite, phase)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'Pending') RETURNING id`,
      [run.userId, run.recipePath, run.recipeId, run.recipeName, run.engine, run.outputType, run.overwrite],
    );
    return Number(rows[0]!.id);
  } catch (err) {
    if (isUniqueViolation(err)) throw new RunInProgressError(run.recipeId);
    throw err;
  }
}

/** Records the engine's name for a reserved run once it was submitted. */
export async function markSubmitted(db: Queryable, runId: number, workflowName: string, phase: string | null): Promise<void> {
  await db.query('UPDATE recipe_runs SET workflow_name = $2, phase = COALESCE($3, phase) WHERE id = $1', [runId, workflowName, phase]);
}

/** Ends a reserved run that never reached the engine, saying why. */
export async function markNotSubmitted(db: Queryable, runId: number, message: string): Promise<void> {
  await db.query(`UPDATE recipe_runs SET phase = 'Error', message = $2, finished_at = now() WHERE id = $1`, [runId, message]);
}

/** Whether a successful run has published this recipe's output to the volume. */
export async function isPublished(db: Queryable, recipeId: string): Promise<boolean> {
  const rows = await db.query(`SELECT 1 FROM recipe_runs WHERE recipe_id = $1 AND output_type = 'pvc' AND phase = 'Succeeded' LIMIT 1`, [
    recipeId,
  ]);
  return rows.length > 0;
}

const FIND_RUN = { name: 'find_visible_run', text: `${SELECT} WHERE r.workflow_name = $1 AND ($2::boolean OR r.user_id = $3)` };

/** A run by workflow name, visible to `viewer` (their own, or any for admin). */
export async function findRun(db: Queryable, workflowName: string, viewer: { id: number; isAdmin: boolean }): Promise<Run | undefined> {
  // Every /status poll runs this: parsed and planned once per connection.
  const rows = await db.prepared<RunRow>(FIND_RUN, [workflowName, viewer.isAdmin, viewer.id]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** A page of runs, newest first: the viewer's own, or everyone's for admin. */
/** Narrows a run list: `phase` exactly (Pending also matches runs with no phase yet), `recipe` as a case-insensitive part of the recipe's id or name. */
interface RunFilter {
  phase?: string;
  recipe?: string;
}

export async function listRuns(
  db: Queryable,
  viewer: { id: number; isAdmin: boolean },
  page: { limit: number; offset: number },
  filter: RunFilter = {},
): Promise<{ runs: Run[]; total: number }> {
  const pattern = filter.recipe ? `%${filter.recipe.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const where = `($1::boolean OR r.user_id = $2)
    AND ($3::text IS NULL OR r.phase = $3 OR ($3 = 'Pending' AND r.phase IS NULL))
    AND ($4::text IS NULL OR r.recipe_id ILIKE $4 OR r.recipe_name ILIKE $4)`;
  const params = [viewer.isAdmin, viewer.id, filter.phase ?? null, pattern];
  const [rows, count] = await Promise.all([
    db.query<RunRow>(`${SELECT} WHERE ${where} ORDER BY r.submitted_at DESC, r.id DESC LIMIT $5 OFFSET $6`, [
      ...params,
      page.limit,
      page.offset,
    ]),
    // Unfiltered totals are kept by triggers on recipe_runs (migration 006): counting 100,000 rows per page would cost
    // more than the page. A filtered list counts what matches.
    filter.phase || pattern
      ? db.query<{ n: string | number | null }>(`SELECT count(*) AS n FROM recipe_runs r WHERE ${where}`, params)
      : db.query<{ n: string | number | null }>(
          'SELECT COALESCE(sum(runs), 0) AS n FROM recipe_run_counts WHERE $1::boolean OR user_id = $2',
          [viewer.isAdmin, viewer.id],
        ),
  ]);
  return { runs: rows.map(toRun), total: Number(count[0]!.n) };
}

/** Whether the row's shown fields ($2…$4, finished or not) differ from what `prev` held. */
const SHOWN_CHANGE = `(prev.phase IS DISTINCT FROM $2 OR prev.progress IS DISTINCT FROM $3 OR prev.message IS DISTINCT FROM $4
        OR (prev.finished_at IS NULL) = $7::boolean)`;

/**
 * Writes a run's status only when something differs (a repeated event writes nothing), and answers the row as it
 * now is either way: written (`visible` says whether a shown field changed) or unchanged (`visible` false).
 */
const UPDATE_STATUS = {
  name: 'update_run_status_returning',
  text: `WITH prev AS (
       SELECT id, phase, progress, message, finished_at, resource_version FROM recipe_runs WHERE workflow_name = $1 FOR UPDATE
     ), written AS (
       UPDATE recipe_runs r SET phase = $2, progress = $3, message = $4,
         started_at = COALESCE(r.started_at, $5::timestamptz),
         finished_at = CASE WHEN $7::boolean THEN COALESCE(r.finished_at, $6::timestamptz, now()) ELSE NULL END,
         resource_version = COALESCE($8, r.resource_version)
       FROM prev
       WHERE r.id = prev.id AND (${SHOWN_CHANGE} OR prev.resource_version IS DISTINCT FROM COALESCE($8, prev.resource_version))
       RETURNING r.*, ${SHOWN_CHANGE} AS visible
     )
     SELECT w.*, u.name AS username FROM written w JOIN users u ON u.id = w.user_id
     UNION ALL
     SELECT r.*, false AS visible, u.name AS username FROM recipe_runs r JOIN prev ON prev.id = r.id JOIN users u ON u.id = r.user_id
     WHERE NOT EXISTS (SELECT 1 FROM written)`,
};

/** What a status write answers: the run as the table now has it, and the change listeners are told of, if any. */
interface StatusWrite {
  run: Run;
  /** Set when a field a listener shows changed; undefined when the row already said this (or only its version moved). */
  change: RunChange | undefined;
}

/**
 * Brings a run's phase, progress and timestamps up to date with the engine. Answers the row as written (from the
 * database, so no caller re-derives it), or undefined when no run has this workflow.
 */
export async function updateRunStatus(
  db: Queryable,
  workflowName: string,
  status: {
    phase: string | null;
    progress: string | null;
    message: string | null;
    startedAt: string | null;
    finishedAt: string | null;
    resourceVersion?: string | null;
  },
): Promise<StatusWrite | undefined> {
  const finished = status.phase !== null && FINISHED_PHASES.has(status.phase);
  const rows = await db.prepared<RunRow & { visible: boolean }>(UPDATE_STATUS, [
    workflowName,
    status.phase,
    status.progress,
    status.message,
    status.startedAt,
    status.finishedAt,
    finished,
    status.resourceVersion ?? null,
  ]);
  const row = rows[0];
  if (!row) return undefined;
  const run = toRun(row);
  // Only a new resource version (node details changed): nothing a listener shows has changed.
  const change = row.visible
    ? { workflowName, userId: run.userId, phase: run.phase, progress: run.progress, message: run.message, at: new Date().toISOString() }
    : undefined;
  return { run, change };
}

/** A run by workflow name regardless of owner (for signed download links). */
export async function findRunByWorkflowName(db: Queryable, workflowName: string): Promise<Run | undefined> {
  const rows = await db.query<RunRow>(`${SELECT} WHERE r.workflow_name = $1`, [workflowName]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** The unfinished run publishing a recipe id (pvc output), if any: the one that blocks another. */
export async function findActiveRun(db: Queryable, recipeId: string): Promise<Run | undefined> {
  const rows = await db.query<RunRow>(`${SELECT} WHERE r.recipe_id = $1 AND r.finished_at IS NULL AND r.output_type = 'pvc'`, [recipeId]);
  return rows[0] ? toRun(rows[0]) : undefined;
}
