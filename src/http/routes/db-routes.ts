import type { Context } from 'koa';
import { parseDeviceId, shortDeviceId, shortIdText } from '../../shared/device-id.js';
import { background } from '../../shared/background.js';
import { isKind } from '../../shared/errors.js';
import { formatTimeNs, formatTimeSeconds, ZERO_TIME } from '../../shared/time-format.js';
import type { HttpDeps } from '../deps.js';
import { fileInfoJson, treeJson } from '../file-info-json.js';
import { goJsonBody } from '../go-json.js';
import { asyncRequested } from '../async-flag.js';
import { HttpError } from '../http-error.js';
import { jsonBody, query, queryAll, queryInt } from '../request.js';
import { sendEmpty, sendJson } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET  /rest/db/status        folder
// GET,POST /rest/db/ignores   folder; POST body {"ignore": [lines]}
// GET  /rest/db/file          folder file
// GET  /rest/db/browse        folder [prefix] [dirsonly] [levels]
// GET  /rest/db/completion    [folder] [device]
// GET  /rest/db/need          folder [page] [perpage]
// GET  /rest/db/remoteneed    folder device [page] [perpage]
// GET  /rest/db/localchanged  folder [page] [perpage]
// POST /rest/db/scan          [folder] [sub...] [next] [_async]
// POST /rest/db/prio          folder file
// POST /rest/db/override | revert   folder [_async]
// GET  /rest/folder/errors | pullerrors   folder [page] [perpage]
// GET  /rest/stats/folder
// GET  /rest/debug/file       folder file

/** Re-throws a not-found (and a bad path) with the status this route uses for it (Syncthing differs per route). */
function statusFor<T>(fn: () => T, notFound: number): T {
  try {
    return fn();
  } catch (err) {
    if (isKind(err, 'not-found') || isKind(err, 'invalid')) throw new HttpError(notFound, err.message);
    throw err;
  }
}

async function statusForAsync<T>(fn: () => Promise<T>, notFound: number): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isKind(err, 'not-found') || isKind(err, 'invalid')) throw new HttpError(notFound, err.message);
    throw err;
  }
}

/** The ignores answer is a Go map: keys sorted. */
const sortedIgnores = (r: { ignore: string[] | null; expanded: string[] | null; error: string | null }) => ({ error: r.error, expanded: r.expanded, ignore: r.ignore });

export function dbRoutes(d: HttpDeps): Route[] {
  const f = d.folders;
  const folder = (ctx: Context) => query(ctx, 'folder') ?? '';

  const needJson = (p: ReturnType<typeof f.need>) => ({ page: p.page, perpage: p.perpage, progress: p.progress.map(fileInfoJson), queued: p.queued.map(fileInfoJson), rest: p.rest.map(fileInfoJson) });
  const needPage = (ctx: Context) => sendJson(ctx, needJson(statusFor(() => f.need(folder(ctx), queryInt(ctx, 'page'), queryInt(ctx, 'perpage')), 404)));
  const prio = (ctx: Context) => sendJson(ctx, needJson(statusFor(() => f.prio(folder(ctx), query(ctx, 'file') ?? '', queryInt(ctx, 'page'), queryInt(ctx, 'perpage')), 404)));

  const errorsPage = (ctx: Context) => {
    const e = statusFor(() => f.errors(folder(ctx), queryInt(ctx, 'page'), queryInt(ctx, 'perpage')), 404);
    sendJson(ctx, { errors: e.errors, folder: folder(ctx), page: e.page, perpage: e.perpage });
  };

  // No mtime mapping is recorded until files are pulled: the zero mapping, as Syncthing shows it then.
  /** The mtime map entry as Syncthing prints it: the zero times unless one was recorded. */
  const mtimeJson = (m: { diskNs: bigint; virtualNs: bigint } | undefined) => ({ err: null, value: m ? { real: formatTimeNs(m.diskNs), virtual: formatTimeNs(m.virtualNs) } : { real: ZERO_TIME, virtual: ZERO_TIME } });

  /**
   * The first error Go's json.Unmarshal reports decoding `v` into `goType` ("json: cannot unmarshal
   * number into Go value of type []string"): objects for maps, arrays for slices, strings for
   * strings, null for any. `inner` checks each element or map value.
   */
  const goDecodeError = (v: unknown, goType: string, inner?: (x: unknown) => string | undefined): string | undefined => {
    if (v === null) return undefined;
    const kind = Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;
    const want = goType.startsWith('map[') ? 'object' : goType.startsWith('[]') ? 'array' : 'string';
    if (kind !== want) return `json: cannot unmarshal ${kind} into Go value of type ${goType}`;
    if (inner) for (const x of Object.values(v as object)) {
      const e = inner(x);
      if (e) return e;
    }
    return undefined;
  };

  const fileDetails = (ctx: Context) => {
    const r = statusFor(() => f.file(folder(ctx), query(ctx, 'file') ?? ''), 404);
    const local = r.local ?? r.global!;
    sendJson(ctx, {
      availability: r.availability.length ? r.availability : null,
      global: r.global ? fileInfoJson(r.global) : null,
      local: fileInfoJson(local),
      mtime: mtimeJson(r.mtime),
    });
  };

  /** Syncthing's VersionList.String(): {{Version:{[{ID n}]}, Deleted:false, Devices:{ID}, Invalid:{}}, …}. */
  const versionListText = (vs: ReturnType<typeof f.debugFile>['versions']) =>
    `{${vs.map((v) => `{Version:{[${v.version.map(([id, n]) => `{${shortIdText(id)} ${n}}`).join(' ')}]}, Deleted:${v.deleted}, Devices:{${v.devices.map(shortDeviceId).join(', ')}}, Invalid:{${v.invalid.map(shortDeviceId).join(', ')}}}`).join(', ')}}`;

  const debugFile = (ctx: Context) => {
    const r = statusFor(() => f.debugFile(folder(ctx), query(ctx, 'file') ?? ''), 404);
    sendJson(ctx, {
      availability: r.availability.length ? r.availability : null,
      global: fileInfoJson(r.global),
      globalVersions: versionListText(r.versions),
      local: fileInfoJson(r.local),
      mtime: mtimeJson(r.mtime),
    });
  };

  return [
    { method: 'GET', path: '/rest/db/status', handler: (ctx) => sendJson(ctx, statusFor(() => f.status(folder(ctx)), 404)) },
    { method: 'GET', path: '/rest/db/file', handler: fileDetails },
    {
      method: 'GET',
      path: '/rest/db/browse',
      handler: (ctx) => {
        const tree = statusFor(() => f.browse(folder(ctx), query(ctx, 'prefix') ?? '', queryInt(ctx, 'levels'), (query(ctx, 'dirsonly') ?? '') !== ''), 500);
        sendJson(ctx, tree.map(treeJson));
      },
    },
    {
      method: 'GET',
      path: '/rest/db/completion',
      handler: async (ctx) => {
        const device = parseDeviceId(query(ctx, 'device') ?? '');
        sendJson(ctx, await statusForAsync(() => f.completion(folder(ctx), device), 404));
      },
    },
    { method: 'GET', path: '/rest/db/need', handler: needPage },
    {
      method: 'GET',
      path: '/rest/db/remoteneed',
      handler: (ctx) => {
        let device: string;
        try {
          device = parseDeviceId(query(ctx, 'device') ?? '');
        } catch (err) {
          throw new HttpError(500, (err as Error).message);
        }
        const p = statusFor(() => f.remoteNeed(folder(ctx), device, queryInt(ctx, 'page'), queryInt(ctx, 'perpage')), 404);
        sendJson(ctx, { files: p.items.map(fileInfoJson), page: p.page, perpage: p.perpage });
      },
    },
    {
      method: 'GET',
      path: '/rest/db/localchanged',
      handler: (ctx) => {
        const p = statusFor(() => f.localChanged(folder(ctx), queryInt(ctx, 'page'), queryInt(ctx, 'perpage')), 404);
        sendJson(ctx, { files: p.items.map(fileInfoJson), page: p.page, perpage: p.perpage });
      },
    },
    {
      method: 'POST',
      path: '/rest/db/scan',
      handler: async (ctx) => {
        const id = folder(ctx);
        const subs = queryAll(ctx, 'sub');
        const next = queryInt(ctx, 'next');
        if (asyncRequested(ctx)) {
          const job = d.jobs.start('db/scan', ({ signal }) => (id === '' ? f.scanAll(signal) : f.scan(id, subs, next, signal)), () => (id === '' ? null : f.scanProgress(id)));
          return sendJson(ctx, { jobid: job });
        }
        if (id === '') {
          const failed = await f.scanAll();
          if (Object.keys(failed).length === 0) return sendEmpty(ctx);
          ctx.status = 500;
          ctx.type = 'text/plain; charset=utf-8';
          ctx.body = 'Error scanning folders\n' + goJsonBody(failed);
          return;
        }
        try {
          await f.scan(id, subs, next);
        } catch (err) {
          throw new HttpError(500, (err as Error).message);
        }
        sendEmpty(ctx);
      },
    },
    { method: 'POST', path: '/rest/db/prio', handler: prio },
    // Both run in the background; Syncthing answers 200 at once whatever the folder. With
    // `_async=true` the answer is a job whose status says when the work is done.
    ...(['override', 'revert'] as const).map(
      (what): Route => ({
        method: 'POST',
        path: `/rest/db/${what}`,
        handler: (ctx) => {
          const id = folder(ctx);
          if (asyncRequested(ctx)) return sendJson(ctx, { jobid: d.jobs.start(`db/${what}`, ({ signal }) => f[what](id, signal)) });
          background(f[what](id), (m) => d.log.warn(m), `${what} of folder ${id}`);
          sendEmpty(ctx);
        },
      }),
    ),
    { method: 'GET', path: '/rest/db/ignores', handler: async (ctx) => sendJson(ctx, sortedIgnores(await f.ignores(folder(ctx)))) },
    {
      method: 'POST',
      path: '/rest/db/ignores',
      handler: async (ctx) => {
        // Syncthing decodes into map[string][]string and answers every failure 500, with Go's text.
        const body = jsonBody(ctx, 500);
        const typeError = goDecodeError(body, 'map[string][]string', (v) => goDecodeError(v, '[]string', (l) => goDecodeError(l, 'string')));
        if (typeError) throw new HttpError(500, typeError);
        const lines = body && typeof body === 'object' ? (body as Record<string, unknown>).ignore ?? (body as Record<string, unknown>).Ignore : undefined;
        // Where Syncthing would clear the ignores (no "ignore" key, or null), nothing is written.
        if (!Array.isArray(lines)) throw new HttpError(500, 'json: body must be {"ignore": [lines]}');
        try {
          await f.setIgnores(folder(ctx), lines);
        } catch (err) {
          // Too many lines is the request's fault (413, nothing written); anything else is Syncthing's 500.
          if (isKind(err, 'too-large')) throw err;
          throw new HttpError(500, (err as Error).message);
        }
        sendJson(ctx, sortedIgnores(await f.ignores(folder(ctx))));
      },
    },
    { method: 'GET', path: '/rest/folder/errors', handler: errorsPage },
    { method: 'GET', path: '/rest/folder/pullerrors', handler: errorsPage },
    {
      method: 'GET',
      path: '/rest/stats/folder',
      handler: (ctx) => {
        const out: Record<string, unknown> = {};
        for (const [id, s] of Object.entries(f.folderStats())) {
          out[id] = {
            lastFile: { at: s.lastFileAtNs ? formatTimeNs(s.lastFileAtNs) : ZERO_TIME, filename: s.lastFileName, deleted: s.lastFileDeleted },
            lastScan: s.lastScanNs ? formatTimeSeconds(Number(s.lastScanNs / 1_000_000n)) : ZERO_TIME,
          };
        }
        sendJson(ctx, out);
      },
    },
    {
      method: 'GET',
      path: '/rest/debug/file',
      handler: debugFile,
    },
  ];
}

