import type { Middleware } from 'koa';

/**
 * When TLS is required, a request that came in as plain HTTP gets 307 to the same URL over https
 * (Syncthing's redirect: it sits after the CORS layer, so a preflight is still answered, and
 * before auth, so nothing else is).
 */
export function httpsRedirect(required: () => boolean): Middleware {
  return async (ctx, next) => {
    if (!required() || (ctx.req.socket as { encrypted?: boolean }).encrypted) return next();
    const host = ctx.get('Host');
    if (host === '') {
      ctx.status = 400;
      ctx.body = 'TLS required, and no Host to redirect to\n';
      return;
    }
    ctx.redirect(`https://${host}${ctx.originalUrl}`);
    ctx.status = 307;
  };
}
