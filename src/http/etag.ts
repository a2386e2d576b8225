import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { goJsonBody } from './go-json.js';
import { HttpError } from './http-error.js';

/**
 * Optimistic concurrency for the config routes: every config object is served with a strong
 * ETag (a hash of exactly the JSON sent), and a write carrying If-Match only goes ahead when the
 * object it changes still has one of the listed tags. Without If-Match, writes are Syncthing's.
 */

/** The strong ETag of a value as the API renders it. */
export function etagOf(value: unknown): string {
  return `"${createHash('sha256').update(goJsonBody(value)).digest('base64url').slice(0, 27)}"`;
}

const TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * The If-Match header: undefined when absent, '*' for any current representation, else the
 * listed tags (weak ones kept, so that they can fail the strong comparison). A value that is
 * neither is a 400.
 */
export function parseIfMatch(ctx: Context): '*' | string[] | undefined {
  const raw = ctx.get('If-Match').trim();
  if (raw === '') return undefined;
  if (raw === '*') return '*';
  const tags = raw.split(',').map((t) => t.trim());
  if (tags.some((t) => !TAG.test(t))) throw new HttpError(400, `malformed If-Match header: ${JSON.stringify(raw)} (expected "*" or a list of quoted entity tags)`);
  return tags;
}

/**
 * Throws 412 unless `current` (undefined = the object does not exist) matches the precondition.
 * If-Match compares strongly: a weak tag never matches.
 */
export function requireMatch(cond: '*' | string[], current: unknown): void {
  const ok = current !== undefined && (cond === '*' || cond.includes(etagOf(current)));
  if (!ok) throw new HttpError(412, 'precondition failed: the configuration changed since it was read (If-Match does not match its ETag); read it again and retry');
}

/** Sends a config object with its ETag, or 304 when If-None-Match already names it. */
export function sendTagged(ctx: Context, value: unknown, send: (ctx: Context, value: unknown) => void): void {
  const tag = etagOf(value);
  ctx.set('ETag', tag);
  const none = ctx.get('If-None-Match');
  if (none && none.split(',').some((t) => t.trim() === tag || t.trim() === `W/${tag}` || t.trim() === '*')) {
    ctx.status = 304;
    return;
  }
  send(ctx, value);
}
