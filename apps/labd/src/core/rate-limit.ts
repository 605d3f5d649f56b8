/**
 * A sliding-window counter per key (a client address, a class): `hit` records one event and says
 * whether the key is over `limit` events in the last `windowMs`. Keys are independent, so one
 * client's misses never lock out another. The map is bounded: past `maxKeys` the stalest keys go,
 * so a flood of made-up client names cannot grow labd's memory.
 */
export class RateLimiter {
  private hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.hits.set(key, list);
    else this.hits.delete(key);
    return list;
  }

  /** True when `key` has used up its events in this window (nothing is recorded then). */
  blocked(key: string, now = Date.now()): boolean {
    return this.recent(key, now).length >= this.limit;
  }

  /** Records one event for `key`. */
  hit(key: string, now = Date.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    this.hits.delete(key);
    this.hits.set(key, list);
    // Maps iterate in insertion order: the first keys are the ones touched longest ago.
    while (this.hits.size > this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
  }

  /** Seconds until `key` may try again. */
  retryAfterS(key: string, now = Date.now()): number {
    const list = this.recent(key, now);
    return list.length ? Math.max(1, Math.ceil((list[0]! + this.windowMs - now) / 1000)) : 0;
  }
}
