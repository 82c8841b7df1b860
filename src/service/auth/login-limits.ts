import type { Queryable } from '../../db/types.ts';

/** Failures allowed before back-off, per user name and per client, and how long a failure is remembered. */
interface LoginLimitConfig {
  perClient: number;
  perUsername: number;
  windowMs: number;
}

/** What `check` decides before a password is verified. */
type LoginVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface LoginLimits {
  /**
   * A client in back-off is refused. A user name in back-off is refused only to a client that has
   * been failing: a correct password from a clean client always gets through, so an attacker's
   * guesses never lock out the right user.
   */
  check(username: string, client: string): Promise<LoginVerdict>;
  /** Counts a failed login against the name and the client: the k-th failure past the free ones blocks for window × 2^(k-1), at most 15 minutes. */
  failed(username: string, client: string): Promise<void>;
  /** A correct password clears both counts. */
  succeeded(username: string, client: string): Promise<void>;
}

/** The longest back-off, so a forgotten password costs at most this much waiting. */
const MAX_BACKOFF_SECONDS = 15 * 60;
const PRUNE_EVERY = 100;

const userKey = (name: string) => `u:${name}`;
const clientKey = (client: string) => `c:${client}`;

/**
 * Login limits kept in the `login_failures` table, so several replicas share them. Times come
 * from the database clock: replicas whose clocks differ still agree.
 */
export function createLoginLimits(db: Queryable, config: LoginLimitConfig): LoginLimits {
  const windowSeconds = Math.ceil(config.windowMs / 1000);
  let failuresSincePrune = 0;

  async function record(key: string, free: number): Promise<void> {
    // A row whose failures are forgotten (window passed, back-off over) starts again at 1.
    await db.query(
      `INSERT INTO login_failures AS f (key, failures, last_failure_at, blocked_until)
         VALUES ($1, 1, now(), now())
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN f.last_failure_at < now() - make_interval(secs => $3) AND f.blocked_until < now() THEN 1 ELSE f.failures + 1 END,
         last_failure_at = now(),
         blocked_until = CASE
           WHEN (CASE WHEN f.last_failure_at < now() - make_interval(secs => $3) AND f.blocked_until < now() THEN 1 ELSE f.failures + 1 END) > $2
           THEN now() + make_interval(secs => least($3 * power(2, (CASE WHEN f.last_failure_at < now() - make_interval(secs => $3) AND f.blocked_until < now() THEN 1 ELSE f.failures + 1 END) - $2 - 1), $4))
           ELSE f.blocked_until END`,
      [key, free, windowSeconds, MAX_BACKOFF_SECONDS],
    );
  }

  return {
    async check(username, client) {
      const rows = await db.query<{ key: string; failures: number; wait: string | number | null; active: boolean }>(
        `SELECT key, failures,
                CASE WHEN blocked_until > now() THEN extract(epoch from blocked_until - now()) END AS wait,
                (last_failure_at >= now() - make_interval(secs => $3) OR blocked_until > now()) AS active
           FROM login_failures WHERE key = $1 OR key = $2`,
        [userKey(username), clientKey(client), windowSeconds],
      );
      const byKey = new Map(rows.map((r) => [r.key, r]));
      const c = byKey.get(clientKey(client));
      const u = byKey.get(userKey(username));
      const seconds = (wait: string | number | null | undefined) => Math.max(1, Math.ceil(Number(wait)));
      if (c?.wait != null) return { allowed: false, retryAfterSeconds: seconds(c.wait) };
      const clientFailing = c !== undefined && c.active;
      if (u?.wait != null && clientFailing) return { allowed: false, retryAfterSeconds: seconds(u.wait) };
      return { allowed: true };
    },
    async failed(username, client) {
      await record(userKey(username), config.perUsername);
      await record(clientKey(client), config.perClient);
      if (++failuresSincePrune >= PRUNE_EVERY) {
        failuresSincePrune = 0;
        await db.query(`DELETE FROM login_failures WHERE last_failure_at < now() - make_interval(secs => $1) AND blocked_until < now()`, [
          windowSeconds,
        ]);
      }
    },
    async succeeded(username, client) {
      await db.query('DELETE FROM login_failures WHERE key = $1 OR key = $2', [userKey(username), clientKey(client)]);
    },
  };
}
