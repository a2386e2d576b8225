import type { Context } from 'koa';
import { HttpError } from './http-error.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH, rawBody } from './request.js';

/**
 * Whether the caller asked for a job (`_async=true`, in the query or as a key of a JSON object
 * body, as rclone's rc takes it). Anything but a boolean is a 400: a typo must not quietly turn
 * a background job into a call that blocks for an hour.
 */
export function asyncRequested(ctx: Context): boolean {
  const q = ctx.query._async;
  if (q !== undefined) {
    const v = Array.isArray(q) ? q : [q];
    if (v.length !== 1 || (v[0] !== 'true' && v[0] !== 'false')) throw new HttpError(400, `_async must be true or false, not ${JSON.stringify(q)}`);
    return v[0] === 'true';
  }
  const text = rawBody(ctx).trim();
  // Parsed here only when it can hold the flag; the route parses (and bounds) the body itself.
  if (!text.startsWith('{') || !text.includes('_async') || jsonDepthExceeds(text, MAX_JSON_DEPTH)) return false;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return false; // the route reports the bad body itself
  }
  if (body === null || typeof body !== 'object' || !('_async' in body)) return false;
  const v = (body as { _async: unknown })._async;
  if (typeof v !== 'boolean') throw new HttpError(400, `_async must be true or false, not ${JSON.stringify(v)}`);
  return v;
}
