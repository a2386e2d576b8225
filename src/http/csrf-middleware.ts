import type { Middleware } from 'koa';
import type { HttpDeps, RequestAuth } from './deps.js';
import { cookieValues, isSecureRequest, setCookie } from './cookies.js';
import { csrfCookiePath } from './base-url.js';
import { sendText } from './respond.js';

/**
 * CSRF protection (spec rest-api §3.4), whether or not auth is on. A valid API key skips it and is
 * the only thing that earns `Access-Control-Allow-Origin: *`. Any non-/rest response hands out a
 * token cookie; /rest calls must echo a valid token in the X-CSRF-Token-<short ID> header (a cookie
 * alone is not enough, and GETs need it too).
 */
export function csrfMiddleware(d: HttpDeps): Middleware {
  const cookieName = `CSRF-Token-${d.shortId}`;
  const headerName = `X-CSRF-Token-${d.shortId}`;
  return async (ctx, next) => {
    const auth = ctx.state.auth as RequestAuth;
    if (auth.apiKey) {
      ctx.set('Access-Control-Allow-Origin', '*');
      return next();
    }
    const p = ctx.path;
    if (p.startsWith('/rest/debug')) return next();
    if (!p.startsWith('/rest')) {
      const held = cookieValues(ctx, cookieName).filter((t) => d.csrfTokens.check(t));
      if (held.length === 0) {
        const token = d.csrfTokens.create({ anonymous: !auth.authenticated });
        setCookie(ctx, cookieName, token, { path: csrfCookiePath(ctx), secure: isSecureRequest(ctx) || d.config.current().gui.useTLS });
      } else if (auth.authenticated) for (const t of held) d.csrfTokens.promote(t);
      return next();
    }
    if (p.startsWith('/rest/noauth') || p === '/rest/svc/lang') return next();
    if (d.csrfTokens.check(ctx.get(headerName) || undefined)) return next();
    sendText(ctx, 403, 'CSRF Error');
  };
}
