/**
 * Newcomers wait their turn behind the people already in. A connection that has had no good answer yet
 * (a first request, a WebSocket upgrade) costs the event loop 0.1–0.4 ms of work past its parsing; a flood
 * that opens a thousand at once filled the loop for most of a second, and every listener's next part
 * waited behind them (docs/guard.md, "newcomer line"). Their work waits here and is done a couple of
 * milliseconds' worth per loop turn, so the parts, playlists and heartbeats due in between go first; on a
 * quiet node the line is empty within the turn. A new connection's first read waits here too (GuardHttp's
 * readInTurn); after that, a listener's media request never does (the media fast path answers it before
 * the request line), nor does anything on a connection that has had a good answer.
 *
 * Past `max` waiting, the caller refuses the next at once (503 with Retry-After): a line that grows
 * without end would only move the flood's cost into memory.
 */
import { logger } from '../log/Logger.js';

/** Newcomers' work done per loop turn before the line yields (at least one job a turn). */
const TURN_BUDGET_MS = 2;

/**
 * The charge of a job that starts asynchronous work: a request through fastify, a WebSocket handshake.
 * Its hooks, handler and answer run as microtasks once the turn's callback returns, where the turn's
 * clock does not see them; a flood's first requests (refusals through the error handler) cost ~0.2–0.3
 * ms each there, and uncharged, a turn let in 70 ms of them (a CPU profile of the flood bench, 1 Dec).
 */
export const ASYNC_WORK_CHARGE_MS = 0.25;

const log = logger('guard.newcomers');

export class NewcomerLine {
  readonly #max: number;
  readonly #now: () => number;
  #jobs: (() => void)[] = [];
  /** Per job, what it is charged against the turn's budget beyond its own time (ms). */
  #charges: number[] = [];
  #head = 0;
  #scheduled = false;
  #closed = false;
  /** Loop turns that ended with newcomers still waiting: how often the line yielded (metrics, tests). */
  yields = 0;

  constructor(max: number, now: () => number = () => performance.now()) {
    this.#max = max;
    this.#now = now;
  }

  /** Jobs waiting now. */
  get size(): number {
    return this.#jobs.length - this.#head;
  }

  /**
   * Queues `job` for this turn's end or a coming turn; false when the line is full or closed. `chargeMs`
   * counts against the turn's budget besides the job's own time: for a job that lets work in that runs
   * later (a new connection's first read: GuardHttp's readInTurn).
   */
  enter(job: () => void, chargeMs = 0): boolean {
    if (this.#closed || this.size >= this.#max) return false;
    this.#jobs.push(job);
    this.#charges.push(chargeMs);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#turn);
    }
    return true;
  }

  /** From now on nothing waits (the caller does its work at once); what waits is done in its turn. */
  close(): void {
    this.#closed = true;
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    const started = this.#now();
    const first = this.#head;
    let charged = 0;
    while (this.#head < this.#jobs.length) {
      if (this.#head > first && this.#now() - started + charged >= TURN_BUDGET_MS) break;
      const job = this.#jobs[this.#head];
      charged += this.#charges[this.#head] ?? 0;
      this.#jobs[this.#head++] = noop; // lets the job's closure go
      try {
        job?.();
      } catch (err) {
        // A job answers its own errors; one that throws anyway must not stop the line.
        log.error({ err }, 'a newcomer’s work failed');
      }
    }
    if (this.#head < this.#jobs.length) {
      this.yields++;
      this.#scheduled = true;
      setImmediate(this.#turn);
      // Compacted now and then, not per job: shifting an array of thousands is O(n) each time.
      if (this.#head > 1024) {
        this.#jobs = this.#jobs.slice(this.#head);
        this.#charges = this.#charges.slice(this.#head);
        this.#head = 0;
      }
    } else {
      this.#jobs = [];
      this.#charges = [];
      this.#head = 0;
    }
  };
}

function noop(): void {}
