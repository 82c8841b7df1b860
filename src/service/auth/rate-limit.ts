/** Counts attempts per key in fixed windows; answers how long to wait when over the limit. */
export interface RateLimiter {
  /** Records an attempt; returns 0 when allowed, else the seconds until the window resets. */
  hit(key: string): number;
}

/** A fixed-window limiter held in memory, pruned as windows expire. */
export function createRateLimiter(limit: number, windowMs: number, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let nextPrune = now() + windowMs;
  return {
    hit(key) {
      const t = now();
      if (t >= nextPrune) {
        for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k);
        nextPrune = t + windowMs;
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= t) {
        w = { count: 0, resetAt: t + windowMs };
        windows.set(key, w);
      }
      w.count += 1;
      return w.count > limit ? Math.max(1, Math.ceil((w.resetAt - t) / 1000)) : 0;
    },
  };
}
