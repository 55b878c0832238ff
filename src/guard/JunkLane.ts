/**
 * The junk lane: a connection whose last answers were all refusals (forged tickets, bad input, the junk
 * door's 429s) is not read again until the lane lets it, a few connections at a time. A flood on
 * keep-alive connections then costs the node what the lane allows, not what the flood sends: a refused
 * request costs as much as a good one to read and answer (~100 µs on node:http, measured), and the
 * answers let a closed-loop flood send its next. Listeners already in and the stage are never refused,
 * so never held; a real client held after two refusals is read again in its turn (the lane is FIFO) or,
 * held past the keep-alive timeout, closed by the server as any idle connection is, and reconnects.
 *
 * The lane holds the socket's handle (`readStop`): `socket.pause()` does not stop a socket that
 * node:http's parser reads directly (measured: pipelined requests were still parsed). A handle without
 * `readStop` is never held. A trusted proxy's connections carry many people's requests: never held.
 * Node-local, as the junk meter: a flood's connections are on the node it hits. The lane also remembers
 * which connections have had a good answer (`known`): the newcomer line (NewcomerLine) lets those pass.
 */
import type { Socket } from 'node:net';

/** Refusals in a row on one connection before it is held. One is forgiven: a stale ticket, a typo. */
export const LANE_AFTER = 2;
/** How often the lane lets connections go while it holds any. */
const PUMP_MS = 20;

const STREAK = Symbol('junk streak');
const WATCHED = Symbol('junk lane watched');
const KNOWN = Symbol('answered well');

interface Handle {
  readStop?(): number;
  readStart?(): number;
}
type LaneSocket = Socket & {
  [STREAK]?: number;
  [WATCHED]?: true;
  [KNOWN]?: true;
  _handle?: Handle | null;
};

export class JunkLane {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  /** Held connections, oldest first (a Set keeps insertion order; a closed one leaves in O(1)). */
  readonly #held = new Set<LaneSocket>();
  #tokens: number;
  #at: number;
  #timer: NodeJS.Timeout | undefined;
  /** Connections held so far (metrics, tests). */
  holds = 0;

  /** `perSecond`: connections let go a second. `now`: ms, injectable for tests that pump by hand. */
  constructor(perSecond: number, now: () => number = () => performance.now()) {
    this.#perSecond = perSecond;
    this.#burst = Math.max(1, perSecond / 10);
    this.#tokens = 0;
    this.#now = now;
    this.#at = now();
  }

  /** Connections held now. */
  get size(): number {
    return this.#held.size;
  }

  /** A refusal answered on `socket`: held once it has had LANE_AFTER in a row. */
  junk(socket: Socket): void {
    const s = socket as LaneSocket;
    const streak = (s[STREAK] ?? 0) + 1;
    s[STREAK] = streak;
    if (streak < LANE_AFTER || this.#held.has(s) || s.destroyed) return;
    const handle = s._handle;
    if (typeof handle?.readStop !== 'function' || typeof handle.readStart !== 'function') return;
    handle.readStop();
    this.#held.add(s);
    this.holds++;
    if (!s[WATCHED]) {
      s[WATCHED] = true;
      s.once('close', () => this.#held.delete(s));
    }
    this.#timer ??= setInterval(() => this.pump(), PUMP_MS).unref();
  }

  /** An answer that was not a refusal: the connection starts afresh, and is known from now on. */
  good(socket: Socket): void {
    const s = socket as LaneSocket;
    if (s[STREAK] !== undefined) s[STREAK] = 0;
    if (s[KNOWN] !== true) s[KNOWN] = true;
  }

  /** Whether the connection has had an answer that was not a refusal (the newcomer line lets it pass). */
  known(socket: Socket): boolean {
    return (socket as LaneSocket)[KNOWN] === true;
  }

  /** Lets go as many held connections as the rate has earned since the last pump (the timer calls it). */
  pump(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#perSecond) / 1000);
    this.#at = now;
    for (const s of this.#held) {
      if (this.#tokens < 1) break;
      this.#held.delete(s);
      this.#tokens--;
      // Closed while held: nothing to read (its 'close' may not have run yet).
      if (!s.destroyed) s._handle?.readStart?.();
    }
    if (this.#held.size === 0) this.#stop();
  }

  close(): void {
    this.#stop();
    for (const s of this.#held) if (!s.destroyed) s._handle?.readStart?.();
    this.#held.clear();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
