/**
 * A place for one held request (a blocking playlist reload, a preload-hinted part). Held requests are
 * capped per address and per node, and a held request whose client goes away lets go at once instead of
 * waiting out its timeout.
 */
import type { ServerResponse } from 'node:http';
import type { Guard } from './Guard.js';

export interface HeldSlot {
  /** Aborts when the client goes away before the answer is sent. */
  readonly signal: AbortSignal;
  /** Gives the place back (idempotent). */
  readonly done: () => void;
}

/** A place to hold the request, or undefined when the caps are reached (answer now instead). */
export function holdSlot(guard: Guard, ip: string, response: ServerResponse): HeldSlot | undefined {
  const release = guard.held.enter(ip);
  if (!release) return undefined;
  const controller = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) controller.abort();
    release();
  };
  response.once('close', onClose);
  return {
    signal: controller.signal,
    done: () => {
      response.off('close', onClose);
      release();
    },
  };
}
