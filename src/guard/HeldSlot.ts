/**
 * A place for one held request (a blocking playlist reload, a preload-hinted part). Held requests are
 * capped per address and per node, and a held request whose client goes away lets go at once instead of
 * waiting out its timeout. Thousands are held at a time, so a slot is one object and one 'close'
 * listener, no AbortController.
 */
import type { ServerResponse } from 'node:http';
import type { Guard } from './Guard.js';

export interface HeldSlot {
  /** The client went away before the answer was sent. */
  readonly gone: boolean;
  /** Calls `cb` once when the client goes away before the answer (not if it already has: see `gone`). */
  onGone(cb: () => void): void;
  /** Gives the place back (idempotent). */
  done(): void;
}

/** A place to hold the request, or undefined when the caps are reached (answer now instead). */
export function holdSlot(guard: Guard, ip: string, response: ServerResponse): HeldSlot | undefined {
  const release = guard.held.enter(ip);
  return release ? new Slot(release, response) : undefined;
}

class Slot implements HeldSlot {
  readonly #release: () => void;
  readonly #response: ServerResponse;
  #gone = false;
  #onGone: (() => void) | undefined;
  readonly #onClose: () => void;

  constructor(release: () => void, response: ServerResponse) {
    this.#release = release;
    this.#response = response;
    // Not a class field: tsx's keepNames would name a field's arrow function on every slot.
    this.#onClose = () => this.#closed();
    response.on('close', this.#onClose);
  }

  get gone(): boolean {
    return this.#gone;
  }

  onGone(cb: () => void): void {
    this.#onGone = cb;
  }

  done(): void {
    this.#response.off('close', this.#onClose);
    this.#onGone = undefined;
    this.#release();
  }

  #closed(): void {
    this.#response.off('close', this.#onClose);
    if (!this.#response.writableFinished) {
      this.#gone = true;
      const cb = this.#onGone;
      this.#onGone = undefined;
      cb?.();
    }
    this.#release();
  }
}
