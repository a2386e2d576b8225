import type { Context } from 'koa';
import { goJsonBody } from './go-json.js';

/** Content type of JSON answers (Syncthing ≤ 1.x, and its events in every version). */
export const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(ctx: Context, value: unknown, status = 200): void {
  ctx.status = status;
  ctx.type = JSON_TYPE;
  ctx.body = goJsonBody(value);
}

/** Go's http.Error: text/plain, nosniff, the message plus a newline. */
export function sendText(ctx: Context, status: number, message: string): void {
  ctx.status = status;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = message + '\n';
}

/**
 * 200 with an empty body and no Content-Type, as Syncthing answers writes. Koa would turn an empty
 * body into 204 or add a type, so the response is finished by hand.
 */
export function sendEmpty(ctx: Context, status = 200): void {
  ctx.status = status;
  ctx.respond = false;
  ctx.res.statusCode = status;
  ctx.res.removeHeader('Content-Type');
  if (status !== 204) ctx.res.setHeader('Content-Length', '0');
  ctx.res.end();
}
