/** A counting semaphore; `limit` undefined or ≤ 0 means unlimited. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number | undefined) {}

  /** Waits for a free slot; call the returned function exactly once to free it. */
  async acquire(): Promise<() => void> {
    if (this.limit !== undefined && this.limit > 0 && this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active--;
    };
  }

  /** Runs `fn` holding one slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * The engine's process slots, shared fairly between owners (the submitting user, label `ogdc/submitter`): a freed
 * slot goes to the waiting owner holding the fewest slots (the longest waiting among equals), so one user's
 * fan-out cannot keep another user's steps waiting behind all of its own. Waits are first-come within an owner.
 */
export class FairSemaphore {
  private active = 0;
  private readonly held = new Map<string, number>();
  private readonly waiting: Array<{ owner: string; grant: () => void }> = [];

  constructor(private readonly limit: number | undefined) {}

  /** Slots `owner` holds now. */
  holding(owner: string): number {
    return this.held.get(owner) ?? 0;
  }

  private take(owner: string): void {
    this.active++;
    this.held.set(owner, this.holding(owner) + 1);
  }

  /** Waits for a free slot for `owner`; call the returned function exactly once to free it. */
  async acquire(owner = ''): Promise<() => void> {
    if (this.limit !== undefined && this.limit > 0 && this.active >= this.limit)
      await new Promise<void>((grant) => this.waiting.push({ owner, grant }));
    else this.take(owner);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const left = this.holding(owner) - 1;
      if (left > 0) this.held.set(owner, left);
      else this.held.delete(owner);
      if (this.waiting.length === 0) return;
      let best = 0;
      for (let i = 1; i < this.waiting.length; i++)
        if (this.holding(this.waiting[i]!.owner) < this.holding(this.waiting[best]!.owner)) best = i;
      const [next] = this.waiting.splice(best, 1);
      this.take(next!.owner);
      next!.grant();
    };
  }
}
