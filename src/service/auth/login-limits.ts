import type { ServiceContext } from '../context.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';
import { TooManyRequestsError } from '../errors.ts';

interface LoginLimits {
  byClient: RateLimiter;
  byUsername: RateLimiter;
}

// One pair of limiters per service, shared by /token and /session, so signing in through the page is no way around the token limit.
const limits = new WeakMap<ServiceContext, LoginLimits>();

/** Counts one login attempt from `ip` for `username`; throws 429 when either is over its limit. */
export function countLoginAttempt(ctx: ServiceContext, ip: string, username: string): void {
  let l = limits.get(ctx);
  if (!l) {
    const { perClient, perUsername, windowMs } = ctx.config.tokenRateLimit;
    l = { byClient: createRateLimiter(perClient, windowMs), byUsername: createRateLimiter(perUsername, windowMs) };
    limits.set(ctx, l);
  }
  const wait = Math.max(l.byClient.hit(ip), l.byUsername.hit(username));
  if (wait > 0) throw new TooManyRequestsError(wait);
}
