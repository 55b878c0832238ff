import { ErrorCodes, type ErrorCode } from './ErrorCode.js';

/** Details safe to show a client next to the code (never internals). */
export type ErrorDetails = Record<string, unknown>;

/**
 * A protocol or state failure with a stable code. A caller's programming bug is a TypeError instead.
 */
export class RostraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails | undefined;
  /** Seconds, sent as `Retry-After` on 429 and 503. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message?: string, opts: { details?: ErrorDetails; retryAfter?: number } = {}) {
    // A refusal (4xx) is the client's doing, answered by code, and a flood makes thousands a second: its
    // stack is never read, and capturing it was 7 % of a node's CPU under the flood bench's junk. A 5xx
    // keeps its stack for the log.
    const status = ErrorCodes[code].status;
    const limit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    try {
      super(message ?? ErrorCodes[code].message);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = 'RostraError';
    this.code = code;
    this.status = status;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }

  /** The wire form: `{ "error": { "code", "message", ... } }`. */
  toBody(): { error: { code: ErrorCode; message: string; retryAfter?: number; details?: ErrorDetails } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.retryAfter !== undefined ? { retryAfter: this.retryAfter } : {}),
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

export function isRostraError(err: unknown): err is RostraError {
  return err instanceof RostraError;
}
