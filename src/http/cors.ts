import type { Middleware } from 'koa';

/**
 * OPTIONS on any path is a CORS preflight answered 204 with exactly these headers (no auth, no
 * security headers); every other request gets the security headers and goes on.
 */
export function corsAndSecurityHeaders(allowFraming: () => boolean): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', 'Content-Type, X-API-Key');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.body = null;
      return;
    }
    if (!allowFraming()) ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.set('X-XSS-Protection', '1; mode=block');
    ctx.set('X-Content-Type-Options', 'nosniff');
    await next();
  };
}
