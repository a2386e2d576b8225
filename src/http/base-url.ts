import type { Context, Middleware } from 'koa';
import type { GuiConfiguration } from '../config/types.js';
import { sendText } from './respond.js';

/**
 * Serves everything under a path prefix for reverse proxies that pass it on (rclone's --rc-baseurl
 * style): with base "/synchro/", "/synchro/rest/…" is handled as "/rest/…", "/synchro" is
 * redirected to "/synchro/", and anything outside the prefix is 404. Redirects the layers below
 * make to a local path get the prefix put back. The prefix is kept on ctx.state.baseUrl for
 * cookie paths.
 */
export function baseUrlMiddleware(base: () => string): Middleware {
  return async (ctx, next) => {
    const prefix = base();
    ctx.state.baseUrl = prefix;
    if (prefix === '/') return next();
    const bare = prefix.slice(0, -1);
    if (ctx.path === bare) {
      ctx.status = 301;
      ctx.set('Location', prefix + (ctx.querystring ? `?${ctx.querystring}` : ''));
      return;
    }
    if (!ctx.path.startsWith(prefix)) return sendText(ctx, 404, '404 page not found');
    ctx.path = ctx.path.slice(bare.length);
    await next();
    const location = String(ctx.response.get('Location') ?? '');
    if (location.startsWith('/') && !location.startsWith('//')) ctx.set('Location', bare + location);
  };
}

/** The path of the session cookie: gui.sessionCookiePath, or the base URL when that is left at "/". */
export function sessionCookiePath(ctx: Context, gui: Readonly<GuiConfiguration>): string {
  const base = (ctx.state.baseUrl as string | undefined) ?? '/';
  const configured = gui.sessionCookiePath || '/';
  return configured === '/' ? base : configured;
}

/** The path of the CSRF cookie: none (the browser's default, as Syncthing sends it) unless there is a base URL. */
export function csrfCookiePath(ctx: Context): string | undefined {
  const base = (ctx.state.baseUrl as string | undefined) ?? '/';
  return base === '/' ? undefined : base;
}
