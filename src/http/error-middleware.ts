import type { Middleware } from 'koa';
import { AppError, type ErrorKind } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { HttpError } from './http-error.js';
import { sendText } from './respond.js';

/** The usual status of each error kind; routes that answer differently throw HttpError instead. */
const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  'not-found': 404,
  forbidden: 403,
  conflict: 409,
  rejected: 500,
  'too-large': 413,
  unsupported: 501,
  internal: 500,
};

/**
 * The single exit for errors: plain text with the status the route or error kind calls for.
 * Anything unexpected is logged with its stack and answered with a generic 500, never the details.
 */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (ctx.res.headersSent) {
        log.warn(`error after response started on ${ctx.method} ${ctx.path}: ${(err as Error).message}`);
        ctx.res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
        return sendText(ctx, err.status, err.message);
      }
      if (err instanceof AppError) {
        if (STATUS[err.kind] >= 500 && err.kind === 'internal') log.error(`${ctx.method} ${ctx.path}: ${err.message}`);
        return sendText(ctx, STATUS[err.kind], err.message);
      }
      const status = (err as { status?: number }).status;
      if (status === 413) return sendText(ctx, 413, 'http: request body too large');
      if (status && status >= 400 && status < 500) return sendText(ctx, status, (err as Error).message);
      log.error(`${ctx.method} ${ctx.path}: ${(err as Error).stack ?? String(err)}`);
      sendText(ctx, 500, 'Internal Server Error');
    }
  };
}
