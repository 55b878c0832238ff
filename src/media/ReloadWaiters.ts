/**
 * The requests held on one packager (blocking playlist reloads, preload-hinted parts) until their part
 * exists. A crowd is held for the same few parts, so they share one list instead of each adding its own
 * 'part' and 'end' listeners, timer and abort listener: one 'part' listener walks the list once, and a
 * request whose client goes away unlinks itself in O(1). The list is kept in deadline order, so one timer
 * serves its head; every hold on a packager has the same timeout (three target durations), so a new one
 * simply goes at the tail.
 */
import type { DeliveryDirectives, PartPackager, ReloadDecision } from '../broadcast/index.js';
import type { Metrics } from '../metrics/Metrics.js';

/** What a held request learns: the packager's decision, or `timeout` (no part in time, or nobody left). */
export type HeldAnswer = ReloadDecision | { readonly kind: 'timeout' };

/** The client a request is held for (the guard's HeldSlot). */
export interface HeldClient {
  /** The client went away before its answer. */
  readonly gone: boolean;
  /** Calls `cb` once if the client goes away before the answer (not if it already has: see `gone`). */
  onGone(cb: () => void): void;
}

type Directives = Pick<DeliveryDirectives, 'msn' | 'part'>;

const TIMEOUT: HeldAnswer = Object.freeze({ kind: 'timeout' });
const RESPOND: HeldAnswer = Object.freeze({ kind: 'respond' });

/** One held request: a node of the list (doubly linked, so removal is O(1)). */
interface Waiter {
  prev: Waiter | undefined;
  next: Waiter | undefined;
  readonly msn: number | undefined;
  readonly part: number | undefined;
  readonly since: number;
  readonly deadline: number;
  resolve: ((answer: HeldAnswer) => void) | undefined; // undefined once answered
}

export class ReloadWaiters {
  readonly #packager: PartPackager;
  readonly #metrics: Pick<Metrics, 'heldRequests' | 'heldSeconds'> | undefined;
  #head: Waiter | undefined;
  #tail: Waiter | undefined;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The deadline `#timer` was set for. */
  #timerAt = Infinity;

  constructor(packager: PartPackager, metrics?: Pick<Metrics, 'heldRequests' | 'heldSeconds'>) {
    this.#packager = packager;
    this.#metrics = metrics;
    // Registered once for the list's life; a closed packager drops them, and its holds time out as before.
    packager.on('part', () => this.#wake());
    packager.on('end', () => this.#endAll());
  }

  /** Requests held now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Holds until the packager's decision for `directives` is no longer `wait` (re-asked on every part),
   * the playlist ends (`respond`), `timeoutMs` passes or the client goes away (`timeout`). The caller has
   * had a `wait` decision, whose `timeoutMs` this is.
   */
  wait(directives: Directives, timeoutMs: number, client?: HeldClient): Promise<HeldAnswer> {
    if (client?.gone) return Promise.resolve(TIMEOUT);
    const since = performance.now();
    const w: Waiter = {
      prev: undefined,
      next: undefined,
      msn: directives.msn,
      part: directives.part,
      since,
      deadline: since + timeoutMs,
      resolve: undefined,
    };
    const answer = new Promise<HeldAnswer>((resolve) => (w.resolve = resolve));
    this.#metrics?.heldRequests.inc();
    this.#insert(w);
    client?.onGone(() => this.#answer(w, TIMEOUT));
    return answer;
  }

  /** Links `w` in deadline order: at the tail, since every hold here has the same timeout. */
  #insert(w: Waiter): void {
    let after = this.#tail;
    while (after && after.deadline > w.deadline) after = after.prev; // only if timeouts ever differ
    w.prev = after;
    w.next = after ? after.next : this.#head;
    if (w.next) w.next.prev = w;
    else this.#tail = w;
    if (after) after.next = w;
    else this.#head = w;
    this.#size++;
    if (w.deadline < this.#timerAt) this.#arm(w.deadline, performance.now());
  }

  #answer(w: Waiter, answer: HeldAnswer): void {
    const resolve = w.resolve;
    if (!resolve) return; // answered already (a client that goes away after its part came)
    w.resolve = undefined;
    if (w.prev) w.prev.next = w.next;
    else this.#head = w.next;
    if (w.next) w.next.prev = w.prev;
    else this.#tail = w.prev;
    w.prev = w.next = undefined;
    this.#size--;
    if (this.#size === 0) this.#disarm();
    this.#metrics?.heldRequests.dec();
    this.#metrics?.heldSeconds.observe({ outcome: answer.kind }, (performance.now() - w.since) / 1000);
    resolve(answer);
  }

  /** A part came: answers every hold it satisfies, in the order they came, and keeps the rest. */
  #wake(): void {
    // The position does not move during the walk, so equal directives get the same decision: a crowd
    // held for the same part (the usual case) costs one decideReload, not one each.
    let msn: number | undefined = -1;
    let part: number | undefined = -1;
    let decision: ReloadDecision | undefined;
    for (let w = this.#head; w;) {
      const next = w.next;
      if (!decision || w.msn !== msn || w.part !== part) {
        msn = w.msn;
        part = w.part;
        decision = this.#packager.decideReload(w);
      }
      if (decision.kind !== 'wait') this.#answer(w, decision);
      w = next;
    }
  }

  /** The playlist ended: every hold is answered with it (ENDLIST), as the packager's rules say. */
  #endAll(): void {
    while (this.#head) this.#answer(this.#head, RESPOND);
  }

  /** The head's deadline came (or the timer fired early): times out every hold past its deadline. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    while (this.#head && this.#head.deadline <= now) this.#answer(this.#head, TIMEOUT);
    if (this.#head) this.#arm(this.#head.deadline, now);
  }

  #arm(deadline: number, now: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    // At least 1 ms: a timer may fire a little before performance.now() reaches the deadline.
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(deadline - now)));
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }
}
