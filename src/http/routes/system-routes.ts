import type { Context } from 'koa';
import { parseDeviceId } from '../../shared/device-id.js';
import { FACILITIES, logText, type LogLevel, type LogLine } from '../../shared/logger.js';
import { formatTimeNs, parseRfc3339Ns } from '../../shared/time-format.js';
import { browseDirectories } from '../../services/browse.js';
import { sortKeys } from '../../services/system-service.js';
import type { HttpDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { jsonBody, query, rawBody } from '../request.js';
import { sendEmpty, sendJson, sendText } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET       /rest/system/status | version | connections | discovery | paths
// GET,POST  /rest/system/ping
// GET,POST  /rest/system/error            POST body: raw text
// POST      /rest/system/error/clear
// GET       /rest/system/log | log.txt    [since]
// GET       /rest/system/browse           [current]
// GET,POST  /rest/system/upgrade
// POST      /rest/system/restart | shutdown | reset [folder] | pause [device] | resume [device]
// GET,POST  /rest/system/loglevels | debug [enable] [disable]

/** Syncthing 1.x log levels on the wire: debug 0, info 2, warnings (and errors) 3. */
const WIRE_LEVEL: Record<LogLevel, number> = { debug: 0, info: 2, warn: 3, error: 3 };
const SLOG: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

const wireLine = (l: LogLine) => ({ when: formatTimeNs(l.whenNs), message: l.message, level: WIRE_LEVEL[l.level] });

/** Writes a raw text body the way Syncthing's flushResponse does (then acts after it is sent). */
function sendRaw(ctx: Context, text: string, after: () => void): void {
  ctx.status = 200;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = text;
  ctx.res.once('finish', () => setImmediate(after));
}

export function systemRoutes(d: HttpDeps): Route[] {
  const ping = (ctx: Context) => sendJson(ctx, { ping: 'pong' });

  const setPaused = async (ctx: Context, paused: boolean) => {
    let device: string;
    try {
      device = parseDeviceId(query(ctx, 'device') ?? '');
    } catch (err) {
      throw new HttpError(500, (err as Error).message);
    }
    if (device !== '' && !d.config.current().devices.some((x) => x.deviceID === device)) throw new HttpError(404, 'not found');
    await d.config.modify((draft) => {
      for (const dev of draft.devices) if (dev.deviceID !== d.myId && (device === '' || dev.deviceID === device)) dev.paused = paused;
    });
    sendEmpty(ctx);
  };

  return [
    { method: 'GET', path: '/rest/system/status', handler: (ctx) => sendJson(ctx, d.system.status()) },
    { method: 'GET', path: '/rest/system/version', handler: (ctx) => sendJson(ctx, d.system.version()) },
    { method: 'GET', path: '/rest/system/ping', handler: ping },
    { method: 'POST', path: '/rest/system/ping', handler: ping },
    { method: 'GET', path: '/rest/system/connections', handler: (ctx) => sendJson(ctx, d.system.connections()) },
    { method: 'GET', path: '/rest/system/discovery', handler: (ctx) => sendJson(ctx, {}) },
    { method: 'GET', path: '/rest/system/paths', handler: (ctx) => sendJson(ctx, d.system.pathsMap()) },
    {
      method: 'GET',
      path: '/rest/system/error',
      handler: (ctx) => {
        const errs = d.logBook.errorList();
        sendJson(ctx, { errors: errs.length ? errs.map(wireLine) : null });
      },
    },
    {
      method: 'POST',
      path: '/rest/system/error',
      handler: (ctx) => {
        d.log.warn(rawBody(ctx));
        sendEmpty(ctx);
      },
    },
    {
      method: 'POST',
      path: '/rest/system/error/clear',
      handler: (ctx) => {
        d.logBook.clearErrors();
        sendEmpty(ctx);
      },
    },
    {
      method: 'GET',
      path: '/rest/system/log',
      handler: (ctx) => {
        // As Syncthing's recorder: no line newer than `since` is a nil slice, so null.
        const lines = d.logBook.since(parseRfc3339Ns(query(ctx, 'since') ?? ''));
        sendJson(ctx, { messages: lines.length ? lines.map(wireLine) : null });
      },
    },
    {
      method: 'GET',
      path: '/rest/system/log.txt',
      handler: (ctx) => {
        const lines = d.logBook.since(parseRfc3339Ns(query(ctx, 'since') ?? ''));
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = logText(lines);
      },
    },
    {
      method: 'GET',
      path: '/rest/system/browse',
      handler: async (ctx) => sendJson(ctx, await browseDirectories(query(ctx, 'current') ?? '', d.system.pathsMap()['baseDir-userHome']!)),
    },
    { method: 'GET', path: '/rest/system/upgrade', handler: (ctx) => sendText(ctx, 501, 'upgrade unsupported') },
    { method: 'POST', path: '/rest/system/upgrade', handler: (ctx) => sendText(ctx, 501, 'upgrade unsupported') },
    { method: 'POST', path: '/rest/system/restart', handler: (ctx) => sendRaw(ctx, '{"ok": "restarting"}\n', d.lifecycle.restart) },
    { method: 'POST', path: '/rest/system/shutdown', handler: (ctx) => sendRaw(ctx, '{"ok": "shutting down"}\n', d.lifecycle.shutdown) },
    {
      method: 'POST',
      path: '/rest/system/reset',
      handler: (ctx) => {
        const folder = query(ctx, 'folder') ?? '';
        const folders = d.config.current().folders;
        if (folder !== '' && !folders.some((f) => f.id === folder)) throw new HttpError(500, 'Invalid folder ID');
        // As Syncthing's ResetFolder: a folder that runs is not reset (and with one, nothing is).
        if ((folder === '' ? folders.map((f) => f.id) : [folder]).some((id) => d.folders.isRunning(id))) throw new HttpError(500, 'folder must be paused when resetting');
        if (folder === '') return sendRaw(ctx, '{"ok": "resetting database"}\n', () => d.lifecycle.reset());
        sendRaw(ctx, `{"ok": "resetting folder ${folder}"}\n`, () => d.lifecycle.reset(folder));
      },
    },
    { method: 'POST', path: '/rest/system/pause', handler: (ctx) => setPaused(ctx, true) },
    { method: 'POST', path: '/rest/system/resume', handler: (ctx) => setPaused(ctx, false) },
    {
      method: 'GET',
      path: '/rest/system/loglevels',
      handler: (ctx) => {
        const levels: Record<string, string> = {};
        for (const f of Object.keys(FACILITIES)) levels[f] = SLOG[d.logBook.levelOf(f)];
        sendJson(ctx, { levels: sortKeys(levels), packages: sortKeys({ ...FACILITIES }) });
      },
    },
    {
      method: 'POST',
      path: '/rest/system/loglevels',
      handler: (ctx) => {
        const body = jsonBody(ctx);
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'json: cannot unmarshal into map[string]slog.Level');
        const updates: [string, LogLevel][] = [];
        for (const [pkg, lvl] of Object.entries(body)) {
          const m = typeof lvl === 'string' ? /^(DEBUG|INFO|WARN|ERROR)([+-]\d+)?$/i.exec(lvl) : null;
          if (!m) throw new HttpError(400, `slog: level string ${JSON.stringify(lvl)}: unknown name`);
          updates.push([pkg, m[1]!.toLowerCase() as LogLevel]);
        }
        for (const [pkg, lvl] of updates) d.logBook.setLevel(pkg, lvl);
        sendEmpty(ctx);
      },
    },
    {
      method: 'GET',
      path: '/rest/system/debug',
      handler: (ctx) => sendJson(ctx, { enabled: d.logBook.debugEnabled(), facilities: sortKeys({ ...FACILITIES }) }),
    },
    {
      method: 'POST',
      path: '/rest/system/debug',
      handler: (ctx) => {
        const list = (name: string) => (query(ctx, name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        for (const f of list('enable')) d.logBook.setLevel(f, 'debug');
        for (const f of list('disable')) d.logBook.setLevel(f, 'info');
        sendEmpty(ctx);
      },
    },
  ];
}
