import type { Db } from '../../../db/types.ts';
import type { NodeStatus } from '../../types.ts';

type Outputs = NonNullable<NodeStatus['outputs']>;

/**
 * `memoize` caches (controller/cache: Argo keeps each cache in a ConfigMap of the workflow's namespace), in table
 * `local_memo` (migration 010), so an entry outlives the engine. `maxAge` counts from when the entry was saved.
 * Ids are `<owner>/<namespace>/<cache>/<key>`: the owner is the submitting user of a service run (label
 * `ogdc/submitter`), so one user's cached outputs, which may name their artifacts, never reach another's workflow.
 */
export class MemoStore {
  constructor(private readonly db: Db) {}

  async get(id: string, maxAgeSeconds?: number): Promise<Outputs | undefined> {
    const rows = await this.db.query<{ outputs: Outputs | string }>(
      `SELECT outputs FROM local_memo WHERE id = $1 AND ($2::double precision IS NULL OR saved_at > now() - make_interval(secs => $2))`,
      [id, maxAgeSeconds ?? null],
    );
    const raw = rows[0]?.outputs;
    return typeof raw === 'string' ? (JSON.parse(raw) as Outputs) : raw;
  }

  async set(id: string, outputs: Outputs): Promise<void> {
    await this.db.query(
      `INSERT INTO local_memo (id, outputs) VALUES ($1, $2::jsonb)
       ON CONFLICT (id) DO UPDATE SET outputs = EXCLUDED.outputs, saved_at = now()`,
      [id, JSON.stringify(outputs)],
    );
  }
}
