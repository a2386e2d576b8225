import type { Context } from 'koa';
import { sessionCookiePath } from '../base-url.js';
import type { HttpDeps } from '../deps.js';
import { authEnabled, checkPassword, failureDelay, startSession } from '../auth-middleware.js';
import { cookieValues } from '../cookies.js';
import { remoteAddress } from '../credentials.js';
import { rawBody } from '../request.js';
import { sendEmpty, sendJson, sendText } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET  /rest/noauth/health
// POST /rest/noauth/auth/password   {"username","password","stayLoggedIn"}  (only while auth is on)
// POST /rest/noauth/auth/logout                                              (only while auth is on)

/** Biggest login body accepted (Syncthing: 1 KiB). */
const MAX_LOGIN_BODY = 1024;

function field(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k === name) ?? Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

export function noauthRoutes(d: HttpDeps): Route[] {
  const whenAuthOn = (handler: (ctx: Context) => Promise<void> | void) => (ctx: Context) => {
    // These routes exist only while GUI auth is configured; it can be switched on and off live.
    if (!authEnabled(d.config.current().gui)) return sendText(ctx, 404, '404 page not found');
    return handler(ctx);
  };

  const login = async (ctx: Context): Promise<void> => {
    const text = rawBody(ctx);
    let body: Record<string, unknown>;
    try {
      if (Buffer.byteLength(text) > MAX_LOGIN_BODY) throw new Error('too large');
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return sendText(ctx, 400, 'Failed to parse username and password.');
    }
    const [user, pass, stay] = [field(body, 'username'), field(body, 'password'), field(body, 'stayLoggedIn')];
    if ((user !== undefined && typeof user !== 'string') || (pass !== undefined && typeof pass !== 'string') || (stay !== undefined && typeof stay !== 'boolean')) {
      return sendText(ctx, 400, 'Failed to parse username and password.');
    }
    const ok = await checkPassword(d, ctx, user ?? '', pass ?? '');
    d.events.append('LoginAttempt', { ...remoteAddress(ctx), success: ok, username: user ?? '' });
    if (!ok) {
      d.log.warn(`Wrong credentials supplied during API authorization from ${remoteAddress(ctx).remoteAddress}`);
      await failureDelay();
      return sendText(ctx, 403, 'Forbidden');
    }
    startSession(ctx, d, stay === true);
    sendEmpty(ctx, 204);
  };

  const logout = (ctx: Context): void => {
    const name = `sessionid-${d.shortId}`;
    for (const token of cookieValues(ctx, name)) {
      d.sessions.remove(token);
      // Syncthing sends no Path here, which leaves a cookie set with a Path in the browser; ours
      // names the path the cookie was set with, so the browser really drops it.
      const p = sessionCookiePath(ctx, d.config.current().gui);
      ctx.append('Set-Cookie', p === '/' ? `${name}=; Max-Age=0` : `${name}=; Path=${p}; Max-Age=0`);
    }
    sendEmpty(ctx, 204);
  };

  return [
    { method: 'GET', path: '/rest/noauth/health', handler: (ctx) => sendJson(ctx, { status: 'OK' }) },
    { method: 'POST', path: '/rest/noauth/auth/password', handler: whenAuthOn(login) },
    { method: 'POST', path: '/rest/noauth/auth/logout', handler: whenAuthOn(logout) },
  ];
}
