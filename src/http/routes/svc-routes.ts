import { parseDeviceId } from '../../shared/device-id.js';
import { randomToken } from '../../shared/random.js';
import type { HttpDeps } from '../deps.js';
import { query, queryInt } from '../request.js';
import { sendJson } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET /rest/svc/deviceid       id            always 200: {"id"} or {"error"}
// GET /rest/svc/lang           Accept-Language (no auth, no CSRF)
// GET /rest/svc/random/string  [length]
// GET /rest/svc/report         [version]
// GET /rest/stats/device

/** Longest /rest/svc/random/string we hand out, so a huge `length` cannot exhaust memory. */
const MAX_RANDOM = 65536;

/**
 * Accept-Language as v2 reads it: lower-cased tags sorted by q (descending, stable); an entry with
 * an unparsable q is dropped; no header gives [""].
 */
export function acceptLanguages(header: string): string[] {
  if (header.trim() === '') return [''];
  const entries: { tag: string; q: number; i: number }[] = [];
  header.split(',').forEach((part, i) => {
    const [tag = '', ...params] = part.split(';').map((s) => s.trim());
    let q = 1;
    for (const p of params) {
      const m = /^q=(.*)$/i.exec(p);
      if (m) q = /^\d+(\.\d+)?$/.test(m[1]!) ? Number(m[1]) : NaN;
    }
    if (!Number.isNaN(q)) entries.push({ tag: tag.toLowerCase(), q, i });
  });
  return entries.sort((a, b) => b.q - a.q || a.i - b.i).map((e) => e.tag);
}

export function svcRoutes(d: HttpDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/rest/svc/deviceid',
      handler: (ctx) => {
        try {
          sendJson(ctx, { id: parseDeviceId(query(ctx, 'id') ?? '') });
        } catch (err) {
          sendJson(ctx, { error: (err as Error).message });
        }
      },
    },
    { method: 'GET', path: '/rest/svc/lang', handler: (ctx) => sendJson(ctx, acceptLanguages(ctx.get('Accept-Language'))) },
    {
      method: 'GET',
      path: '/rest/svc/random/string',
      handler: (ctx) => {
        const n = queryInt(ctx, 'length');
        sendJson(ctx, { random: randomToken(n === undefined || n <= 0 ? 32 : Math.min(n, MAX_RANDOM)) });
      },
    },
    { method: 'GET', path: '/rest/svc/report', handler: async (ctx) => {
        // As Syncthing (strconv.Atoi): a version that is not a positive integer means the current one.
        const raw = query(ctx, 'version') ?? '';
        const v = /^[+-]?\d{1,9}$/.test(raw) ? Number(raw) : 0;
        sendJson(ctx, await d.system.report(v > 0 ? v : undefined));
      },
    },
    { method: 'GET', path: '/rest/stats/device', handler: (ctx) => sendJson(ctx, d.system.deviceStats()) },
  ];
}
