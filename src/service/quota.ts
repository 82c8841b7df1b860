/**
 * Per-user caps on what a user keeps in the service (WorkflowTemplates, CronWorkflows). The count and the insert
 * run in one transaction holding a lock on the user's row, so concurrent creates cannot pass the cap together.
 */
import type { Config } from '../config/index.ts';
import type { Db, Queryable } from '../db/types.ts';
import { ForbiddenError } from './errors.ts';

/** What is counted (the table, by its rows' `user_id`), what one row is called, and the setting of the cap. */
const KEPT = {
  templates: { table: 'workflow_templates', noun: 'WorkflowTemplate', variable: 'OGDC_MAX_TEMPLATES_PER_USER' },
  cronWorkflows: { table: 'cron_workflows', noun: 'CronWorkflow', variable: 'OGDC_MAX_CRON_WORKFLOWS_PER_USER' },
} as const;

interface Quota {
  table: string;
  noun: string;
  variable: string;
  /** undefined: no cap (admin). */
  cap: number | undefined;
}

/** The user's cap on one kind of kept object; admin has none. */
export function quotaOf(kind: keyof typeof KEPT, config: Pick<Config, 'maxKeptPerUser'>, user: { isAdmin: boolean }): Quota {
  return { ...KEPT[kind], cap: user.isAdmin ? undefined : config.maxKeptPerUser[kind] };
}

/**
 * Runs `insert` (false: the name is taken) unless the user already keeps `quota.cap` rows; at the cap, a 403
 * that says how many they keep and what to do. Nothing is written when refused.
 */
export async function insertWithinQuota(
  db: Db,
  userId: number,
  quota: Quota,
  insert: (tx: Queryable) => Promise<boolean>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (quota.cap !== undefined) {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const [row] = await tx.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${quota.table} WHERE user_id = $1`, [userId]);
      if (Number(row?.n ?? 0) >= quota.cap)
        throw new ForbiddenError(
          `You keep ${quota.cap} ${quota.noun}s, the most one user may (${quota.variable}); delete one before adding another.`,
        );
    }
    return insert(tx);
  });
}
