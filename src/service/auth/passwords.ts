import { randomBytes } from 'node:crypto';
import { HasherUnavailableError, runInHasher } from './hasher.ts';

// argon2id with OWASP's minimum cost. The work runs in a separate process at
// the lowest CPU priority (hasher.ts): logins never block the event loop, and
// on a busy machine they no longer take CPU time from other requests either
// (the benchmark saw /user p99 rise several times under /token load when the
// hashes ran on the service's own thread pool).
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id. */
export async function hashPassword(password: string): Promise<string> {
  return (await runInHasher({ op: 'hash', password, options: OPTIONS })) as string;
}

/** Observers of every verification (the hash it checks against): the seam that lets tests prove logins do the same work for unknown users. */
export const verificationObservers = new Set<(hash: string) => void>();

/** Checks a password against an argon2 hash; a malformed hash is a mismatch. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    for (const observe of verificationObservers) observe(hash);
    return (await runInHasher({ op: 'verify', hash, password })) === true;
  } catch (error) {
    if (error instanceof HasherUnavailableError) throw error;
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password, verified when the user does not exist so that an
 * unknown name costs the same time as a wrong password (no user enumeration).
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
