/**
 * Things held open (TCP connections, WebSockets, blocking reloads), counted per address and per node in
 * this process. They live on one node, so a local count is exact and costs nothing per request.
 */
export class Occupancy {
  readonly #perIp: number;
  readonly #perNode: number;
  readonly #byIp = new Map<string, number>();
  #total = 0;
  /** Refusals so far (metrics, tests). */
  refused = 0;

  /** 0 for either cap means none. */
  constructor(perIp: number, perNode: number) {
    this.#perIp = perIp;
    this.#perNode = perNode;
  }

  get total(): number {
    return this.#total;
  }

  of(ip: string): number {
    return this.#byIp.get(ip) ?? 0;
  }

  /** Takes a place for `ip`, or returns undefined when a cap is reached. The release is idempotent. */
  enter(ip: string): (() => void) | undefined {
    const mine = this.#byIp.get(ip) ?? 0;
    if ((this.#perNode > 0 && this.#total >= this.#perNode) || (this.#perIp > 0 && mine >= this.#perIp)) {
      this.refused++;
      return undefined;
    }
    this.#byIp.set(ip, mine + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#byIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.#byIp.delete(ip);
      else this.#byIp.set(ip, left);
    };
  }
}

/**
 * Refused answers per address in a short window, in this process: the door for clients that mostly send
 * junk (forged tickets, bad input). Node-local on purpose: a Bus round trip per junk request would let a
 * flood load Redis, and a flood's junk lands on the node it hits.
 */
/** The junk meter's counting window. */
export const JUNK_WINDOW_MS = 10_000;

export class JunkMeter {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #counts = new Map<string, number>();

  constructor(limit: number, windowMs = JUNK_WINDOW_MS) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Milliseconds until this address may come back, or 0 when it may come now. */
  blockedFor(ip: string, nowMs: number): number {
    this.#roll(nowMs);
    return (this.#counts.get(ip) ?? 0) >= this.#limit ? this.#windowStart + this.#windowMs - nowMs : 0;
  }

  record(ip: string, nowMs: number): void {
    this.#roll(nowMs);
    this.#counts.set(ip, (this.#counts.get(ip) ?? 0) + 1);
  }

  #roll(nowMs: number): void {
    if (nowMs - this.#windowStart < this.#windowMs) return;
    this.#windowStart = nowMs;
    this.#counts = new Map();
  }
}
