import bodyParser from 'koa-bodyparser';
import type { Middleware } from 'koa';

/** Largest request body accepted; bigger ones are 413. */
export const MAX_BODY = 10 * 1024 * 1024;

/**
 * Reads every request body as text, whatever its Content-Type (Go's handlers ignore it; clients
 * send JSON as text/plain, form-urlencoded or with no type at all). Routes parse it themselves.
 */
export function textBody(): Middleware[] {
  const parse = bodyParser({ enableTypes: ['text'], extendTypes: { text: ['*/*'] }, textLimit: String(MAX_BODY) });
  const ensureType: Middleware = async (ctx, next) => {
    const hasBody = ctx.get('Content-Length') !== '' && ctx.get('Content-Length') !== '0' ? true : ctx.get('Transfer-Encoding') !== '';
    if (hasBody && !ctx.get('Content-Type')) ctx.req.headers['content-type'] = 'text/plain';
    await next();
  };
  return [ensureType, parse as unknown as Middleware];
}
