import type { Middleware } from 'koa';
import { noCache } from './no-cache.js';

/**
 * /meta.js: what the GUI learns before its first /rest call: the device ID and the short ID that
 * names the CSRF cookie and header. Behind auth (not a no-auth path), so reaching it means signed in.
 */
export function metaJs(myId: string, shortId: string): Middleware {
  return async (ctx) => {
    noCache(ctx);
    ctx.body = `var metadata = ${JSON.stringify({ authenticated: true, deviceID: myId, deviceIDShort: shortId })};\n`;
    ctx.set('Content-Type', 'application/javascript'); // exactly, without the charset Koa would add
  };
}
