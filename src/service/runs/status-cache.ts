/**
 * What `/status` answers, kept in memory per workflow: the run's owner and phase as the runs
 * table last said. Every run change (this replica's writes at once, other replicas' by
 * LISTEN/NOTIFY) drops the workflow's entry, and an entry is never older than `ttlMs`, so a
 * lost notification (the listener's connection down) costs at most that much staleness. A
 * read that raced with a change is not kept. Missing runs are never kept: a run submitted on
 * another replica is seen at once.
 */
import type { Queryable } from '../../db/types.ts';
import type { RunChanges } from './changes.ts';
import { findRun } from './repository.ts';

/** How long a phase read from the table may be answered from memory. */
const STATUS_CACHE_TTL_MS = 1000;
const KEPT = 10_000;

interface RunStatusEntry {
  userId: number;
  phase: string | null;
}

export interface StatusCache {
  /** The run's owner and phase if `viewer` may see it, else undefined. */
  get(workflowName: string, viewer: { id: number; isAdmin: boolean }): Promise<RunStatusEntry | undefined>;
  close(): void;
}

export function createStatusCache(db: Queryable, changes: RunChanges, ttlMs = STATUS_CACHE_TTL_MS): StatusCache {
  const entries = new Map<string, { entry: RunStatusEntry; until: number; ticket: number }>();
  /** Reads in the order they began: an entry is only replaced by a read that began later, so answers never go back. */
  let tickets = 0;
  /** Per workflow, the sequence number of its last change; reads that began before it are not kept. */
  const changedAt = new Map<string, number>();
  let seq = 0;
  /** Changes up to this number are no longer in `changedAt`. */
  let forgottenUpTo = 0;

  const unsubscribe = changes.subscribe((change) => {
    seq++;
    entries.delete(change.workflowName);
    changedAt.delete(change.workflowName);
    changedAt.set(change.workflowName, seq);
    while (changedAt.size > KEPT) {
      const [name, at] = changedAt.entries().next().value!;
      changedAt.delete(name);
      forgottenUpTo = at;
    }
  });

  const visible = (entry: RunStatusEntry, viewer: { id: number; isAdmin: boolean }) => viewer.isAdmin || entry.userId === viewer.id;

  return {
    async get(workflowName, viewer) {
      const now = Date.now();
      const hit = entries.get(workflowName);
      if (hit && hit.until > now) return visible(hit.entry, viewer) ? hit.entry : undefined;
      const started = seq;
      const ticket = ++tickets;
      // Read as admin so one entry serves every viewer; visibility is checked on it.
      const run = await findRun(db, workflowName, { id: 0, isAdmin: true });
      if (!run) return undefined;
      const entry = { userId: run.userId, phase: run.phase };
      // A change delivered while the row was read may be newer than what was read (or the
      // oldest changes have been forgotten): answer it, but do not keep it.
      const current = entries.get(workflowName);
      if ((changedAt.get(workflowName) ?? 0) <= started && forgottenUpTo <= started && !(current && current.ticket > ticket)) {
        entries.delete(workflowName);
        entries.set(workflowName, { entry, until: now + ttlMs, ticket });
        while (entries.size > KEPT) entries.delete(entries.keys().next().value!);
      }
      return visible(entry, viewer) ? entry : undefined;
    },
    close: unsubscribe,
  };
}
