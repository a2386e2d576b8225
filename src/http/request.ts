import { goJsonSyntaxError } from './go-json-syntax.js';
import type { Context } from 'koa';
import { HttpError } from './http-error.js';

/** The first value of a query parameter (Syncthing reads every parameter but `sub` this way). */
export function query(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a repeatable query parameter. */
export function queryAll(ctx: Context, name: string): string[] {
  const v = ctx.query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** An integer parameter as Go's strconv.Atoi reads it: undefined when missing or not an integer. */
export function queryInt(ctx: Context, name: string): number | undefined {
  const v = query(ctx, name);
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The raw request body as text ("" when there is none). */
export function rawBody(ctx: Context): string {
  const r = (ctx.request as unknown as { rawBody?: string }).rawBody;
  return typeof r === 'string' ? r : '';
}

/** Deepest nesting a request body may have; Syncthing's deepest document (the config) has 5 levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * How deeply `text` nests, scanning once without parsing (strings skipped), stopping as soon as
 * `limit` is passed: a body of 100,000 brackets is refused before any decoding work.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip a string, escapes included.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses the body as JSON whatever its Content-Type says (Go ignores it), with Go's error texts.
 * `status` is what a parse failure answers (400 on most routes, 500 on a few). A body nested
 * deeper than MAX_JSON_DEPTH is refused with the same status before it is parsed.
 */
export function jsonBody(ctx: Context, status = 400): unknown {
  const text = rawBody(ctx);
  if (text.trim() === '') throw new HttpError(status, 'unexpected end of JSON input');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new HttpError(status, `json: nesting too deep (more than ${MAX_JSON_DEPTH} levels)`);
  try {
    return JSON.parse(text);
  } catch {
    // Go's own message for the first offending byte ("invalid character 'b' looking for beginning of object key string").
    throw new HttpError(status, goJsonSyntaxError(text) ?? 'unexpected end of JSON input');
  }
}
