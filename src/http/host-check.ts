import type { Middleware } from 'koa';
import { isIP } from 'node:net';
import { sendText } from './respond.js';

/** localhost, localhost., *.localhost, 127/8 or ::1 — case-insensitive, port stripped. */
export function isLoopbackHost(hostPort: string): boolean {
  let host = hostPort.trim().toLowerCase();
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  else if (host.split(':').length === 2) host = host.slice(0, host.lastIndexOf(':'));
  if (host === 'localhost' || host === 'localhost.' || host.endsWith('.localhost') || host.endsWith('.localhost.')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * DNS-rebinding protection: when the GUI is bound to a loopback address, the Host header must name
 * a loopback host too. Runs before everything else; the answer carries no other headers.
 */
export function hostCheck(guiAddress: () => string, skip: () => boolean): Middleware {
  return async (ctx, next) => {
    const addr = guiAddress();
    if (!skip() && !addr.startsWith('/') && isLoopbackHost(addr) && !isLoopbackHost(ctx.get('Host'))) {
      sendText(ctx, 403, 'Host check error');
      return;
    }
    await next();
  };
}
