import type { Context } from 'koa';

/** The headers Syncthing puts on every /rest answer (and /meta.js) so nothing is cached. */
export function noCache(ctx: Context): void {
  ctx.set('Cache-Control', 'max-age=0, no-cache, no-store');
  ctx.set('Expires', new Date().toUTCString());
  ctx.set('Pragma', 'no-cache');
}
