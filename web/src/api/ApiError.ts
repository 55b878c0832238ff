/** A coded failure from the API (or the network), so the UI can decide on `code`, never on a message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds, from the body's retryAfter or the Retry-After header. */
  readonly retryAfter: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    retryAfter?: number,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.details = details;
  }

  /** Status 0: the request never got an answer. */
  static network(cause: unknown): ApiError {
    const err = new ApiError(0, 'network_error', 'Could not reach Rostra. Check your connection.');
    err.cause = cause;
    return err;
  }
}

export function isApiError(err: unknown, code?: string): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}

/** A message fit to show a person. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
