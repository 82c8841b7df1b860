import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../../db/types.ts';
import type { NodeStatus } from '../../types.ts';

type Outputs = NonNullable<NodeStatus['outputs']>;

/**
 * `memoize` caches (controller/cache: Argo keeps each cache in a ConfigMap of the workflow's namespace). Ids are
 * `<owner>/<namespace>/<cache>/<key>`: the owner is the submitting user of a service run (label `ogdc/submitter`),
 * so one user's cached outputs, which may name their artifacts, never reach another's workflow. `maxAge` counts
 * from when the entry was saved.
 */
export interface MemoStore {
  get(id: string, maxAgeSeconds?: number): Promise<Outputs | undefined>;
  set(id: string, outputs: Outputs): Promise<void>;
}

/** The caches in table `local_memo` (migration 010), so an entry outlives the engine. */
export class DbMemoStore implements MemoStore {
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

/** The caches in this process only (an engine without a database): entries end with the engine. */
export class MemoryMemoStore implements MemoStore {
  private readonly entries = new Map<string, { outputs: Outputs; savedAt: number }>();

  async get(id: string, maxAgeSeconds?: number): Promise<Outputs | undefined> {
    const entry = this.entries.get(id);
    if (!entry || (maxAgeSeconds !== undefined && entry.savedAt <= Date.now() - maxAgeSeconds * 1000)) return undefined;
    return structuredClone(entry.outputs);
  }

  async set(id: string, outputs: Outputs): Promise<void> {
    this.entries.set(id, { outputs: structuredClone(outputs), savedAt: Date.now() });
  }
}

/**
 * The caches as files of one folder (`run-workflow --data-dir`, which keeps no database), so an entry outlives the
 * command: one JSON file per id, named by the id's SHA-256, written whole and renamed into place (a reader never
 * sees half a file; of two writers of one id the last one wins, as the table's upsert does).
 */
export class FileMemoStore implements MemoStore {
  constructor(private readonly dir: string) {}

  private file(id: string): string {
    return path.join(this.dir, `${createHash('sha256').update(id).digest('hex')}.json`);
  }

  async get(id: string, maxAgeSeconds?: number): Promise<Outputs | undefined> {
    const text = await readFile(this.file(id), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    let entry: { id?: unknown; savedAt?: unknown; outputs?: Outputs };
    try {
      entry = JSON.parse(text) as typeof entry;
    } catch {
      return undefined; // a damaged entry is a miss; the next set replaces it
    }
    if (entry.id !== id || typeof entry.savedAt !== 'number' || entry.outputs === undefined) return undefined;
    if (maxAgeSeconds !== undefined && entry.savedAt <= Date.now() - maxAgeSeconds * 1000) return undefined;
    return entry.outputs;
  }

  async set(id: string, outputs: Outputs): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(id);
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify({ id, savedAt: Date.now(), outputs }), { mode: 0o600 });
    await rename(tmp, file);
  }
}
