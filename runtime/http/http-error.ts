// The one error type that becomes an HTTP answer: JSON {error, message, ...details}.
// Anything else that escapes a handler is a bug and is logged as one (500).
export class HttpError extends Error {
  readonly status: number;
  /** A stable machine-readable code, e.g. "session-not-found". */
  readonly code: string;
  readonly details?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    extra?: { details?: Record<string, unknown>; headers?: Record<string, string> },
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = extra?.details;
    this.headers = extra?.headers;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details };
  }
}
