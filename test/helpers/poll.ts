/**
 * Waiting for a condition with a deadline, for what the service promises to reach within a
 * bounded time (a run's status follows the engine's change stream) rather than at once.
 */

/** Calls `probe` until `done` accepts its answer; throws naming `what` after `ms`. Returns the accepted answer. */
export async function eventually<T>(what: string, probe: () => Promise<T> | T, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
