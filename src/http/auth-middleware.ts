import type { Context, Middleware } from 'koa';
import type { Socket } from 'node:net';
import { keyMatches } from '../auth/api-key.js';
import type { GuiConfiguration } from '../config/types.js';
import type { HttpDeps, RequestAuth } from './deps.js';
import { basicCredentials, presentedKeys, remoteAddress } from './credentials.js';
import { cookieValues, isSecureRequest, setCookie } from './cookies.js';
import { sessionCookiePath } from './base-url.js';
import { isNoAuthPath } from './no-auth-paths.js';
import { sendText } from './respond.js';

/** GUI auth is on when LDAP is selected or both a user and a password are set. */
export function authEnabled(gui: Readonly<GuiConfiguration>): boolean {
  return gui.authMode === 'ldap' || (gui.user !== '' && gui.password !== '');
}

/** Whether the request carries a valid API key (gui.apiKey or the STGUIAPIKEY override). */
export function hasValidKey(ctx: Context, d: HttpDeps): boolean {
  const expected = d.config.current().gui.apiKey;
  return presentedKeys(ctx).some((k) => keyMatches(k, expected) || keyMatches(k, d.extraApiKey));
}

/** Syncthing's anti-brute-force pause after a failed login: 100–199 ms. */
export function failureDelay(): Promise<void> {
  return new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 100)));
}

/** Issues a session cookie; Max-Age only for "stay logged in" (otherwise a browser-session cookie). */
export function startSession(ctx: Context, d: HttpDeps, stayLoggedIn: boolean): void {
  const gui = d.config.current().gui;
  const token = d.sessions.create();
  let maxAge: number | undefined;
  if (stayLoggedIn) maxAge = gui.sessionCookieDurationS > 0 ? gui.sessionCookieDurationS : gui.sessionCookieDurationS === 0 ? 604800 : 2147483647;
  setCookie(ctx, `sessionid-${d.shortId}`, token, { path: sessionCookiePath(ctx, gui), maxAge, secure: isSecureRequest(ctx) || gui.useTLS });
}

/**
 * Checks a user name and password against the GUI settings (LDAP is not supported: it never
 * matches). The bcrypt comparison runs whatever the name, so how long a login takes does not tell
 * whether the user exists; it runs under the login guard's bounds for the client's address.
 */
export async function checkPassword(d: HttpDeps, ctx: Context, user: string, pass: string): Promise<boolean> {
  const gui = d.config.current().gui;
  if (gui.authMode === 'ldap') {
    d.log.warn('LDAP authentication is configured but not supported by Synchro; use a static user or an API key');
    return false;
  }
  return d.logins.run(remoteAddress(ctx).remoteAddress, async () => {
    const passOk = await d.verifyPassword(pass, gui.password);
    return passOk && user === gui.user;
  });
}

/**
 * The auth layer (spec rest-api §3.2, v2 order): API key, session cookie, Basic credentials, then
 * the no-auth paths; otherwise 401 with a Basic prompt (sendBasicAuthPrompt) or 403. Every failed
 * credential is a LoginAttempt event plus a short random delay. Absent when auth is off.
 */
export function authMiddleware(d: HttpDeps, trusted: (socket: Socket) => void = () => undefined): Middleware {
  return async (ctx, next) => {
    const gui = d.config.current().gui;
    const auth: RequestAuth = { apiKey: hasValidKey(ctx, d), authenticated: true };
    ctx.state.auth = auth;
    // A connection that has shown credentials once is no longer counted against the anonymous cap.
    if (auth.apiKey) trusted(ctx.req.socket);
    if (!authEnabled(gui) || auth.apiKey) return next();

    if (cookieValues(ctx, `sessionid-${d.shortId}`).some((t) => d.sessions.check(t))) {
      trusted(ctx.req.socket);
      return next();
    }

    const basic = basicCredentials(ctx);
    if (basic) {
      let ok = false;
      for (const c of basic) if (!ok && (await checkPassword(d, ctx, c.user, c.pass))) ok = true;
      d.events.append('LoginAttempt', { ...remoteAddress(ctx), success: ok, username: basic[0]!.user });
      if (ok) {
        trusted(ctx.req.socket);
        startSession(ctx, d, false);
        return next();
      }
      d.log.warn(`Wrong credentials supplied during API authorization from ${remoteAddress(ctx).remoteAddress}`);
      await failureDelay();
    }

    if (isNoAuthPath(ctx.path, gui.metricsWithoutAuth)) {
      auth.authenticated = false;
      return next();
    }
    if (gui.sendBasicAuthPrompt) {
      ctx.set('WWW-Authenticate', `Basic realm="Authorization Required (${d.shortId})"`);
      sendText(ctx, 401, 'Not Authorized');
      return;
    }
    sendText(ctx, 403, 'Forbidden');
  };
}
