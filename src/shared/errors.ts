/**
 * Domain errors. Rooms throw these with a kind; only http/error-middleware.ts turns a kind into a
 * status code, because Syncthing's status for the same failure differs from route to route.
 */
export type ErrorKind =
  | 'invalid' // the caller sent something unusable (usually 400)
  | 'not-found' // the named object does not exist (usually 404)
  | 'forbidden'
  | 'conflict'
  | 'rejected' // a configuration that prepare/verify refused (400 or 500 depending on the route)
  | 'too-large'
  | 'unsupported' // a feature this build does not offer
  | 'internal';

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

/** True when `err` is an AppError of the given kind. */
export function isKind(err: unknown, kind: ErrorKind): err is AppError {
  return err instanceof AppError && err.kind === kind;
}

/** The message of any thrown value, for logs and plain-text bodies. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
