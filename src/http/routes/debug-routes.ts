import type { Context } from 'koa';
import { redactConfig } from '../../config/redact.js';
import { cpuProfile, heapSnapshot, MAX_CPU_PROFILE_MS, supportProfiles } from '../../services/profiler.js';
import { writeSupportBundle } from '../../services/support-bundle.js';
import { goArch, goOs, SYNCHRO_VERSION } from '../../services/version.js';
import { parseGoDuration } from '../../shared/go-duration.js';
import { logText } from '../../shared/logger.js';
import { formatTimeNs } from '../../shared/time-format.js';
import type { HttpDeps } from '../deps.js';
import { goJsonBody } from '../go-json.js';
import { HttpError } from '../http-error.js';
import type { Metrics } from '../metrics.js';
import { query } from '../request.js';
import { sendJson } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET /rest/debug/cpuprof         [duration]   V8 CPU profile (.cpuprofile)
// GET /rest/debug/heapprof                     V8 heap snapshot (.heapsnapshot)
// GET /rest/debug/httpmetrics                  per-route timers
// GET /rest/debug/peerCompletion               device → percent
// GET /rest/debug/support                      support bundle zip
// (GET /rest/debug/file lives with the db routes; every GET under /rest/debug is gated by gui.debugging in server.ts.)

/** How long the bundle's CPU and heap profiles sample: Syncthing's bundle takes 4 s too. */
const SUPPORT_PROFILE_MS = 4000;

const pad = (n: number) => String(n).padStart(2, '0');
const hhmmss = (t: Date) => `${pad(t.getHours())}${pad(t.getMinutes())}${pad(t.getSeconds())}`;

function attachment(ctx: Context, type: string, filename: string): void {
  ctx.status = 200;
  ctx.type = type;
  ctx.set('Content-Disposition', `attachment; filename=${filename}`);
}

/** `duration` as Syncthing reads it (a Go duration, default 30 s), refused when negative or over 5 minutes. */
function profileDuration(ctx: Context): number {
  const raw = query(ctx, 'duration') ?? '';
  if (raw === '') return 30_000;
  const ms = parseGoDuration(raw);
  if (ms === undefined) throw new HttpError(400, `invalid duration ${JSON.stringify(raw)}: want a Go duration such as 30s or 2m`);
  if (ms < 0) throw new HttpError(400, `invalid duration ${JSON.stringify(raw)}: must not be negative`);
  if (ms > MAX_CPU_PROFILE_MS) throw new HttpError(400, `invalid duration ${JSON.stringify(raw)}: at most 5m`);
  return ms;
}

export function debugRoutes(d: HttpDeps, metrics: Metrics): Route[] {
  const stem = (kind: string) => `synchro-${kind}-${goOs()}-${goArch()}-v${SYNCHRO_VERSION}-${hhmmss(new Date(d.clock.nowMs()))}`;

  const supportFiles = async () => {
    const cfg = d.config.current();
    const { config, secrets } = redactConfig(cfg);
    const summaries: Record<string, unknown> = {};
    for (const id of d.folders.folderIds()) summaries[id] = d.folders.status(id);
    const wire = (l: { whenNs: bigint; level: string; message: string }) => ({ when: formatTimeNs(l.whenNs), level: l.level.toUpperCase(), message: l.message });
    const files = [
      { name: 'config.json.txt', text: goJsonBody(config) },
      { name: 'log-inmemory.txt', text: logText(d.logBook.since()) },
      { name: 'errors.json.txt', text: goJsonBody(d.logBook.errorList().map(wire)) },
      { name: 'version-platform.json.txt', text: goJsonBody({ ...d.system.version(), now: new Date(d.clock.nowMs()).toISOString() }) },
      { name: 'system-status.json.txt', text: goJsonBody(d.system.status()) },
      { name: 'folder-summaries.json.txt', text: goJsonBody(summaries) },
      { name: 'usage-reporting.json.txt', text: goJsonBody(await d.system.report()) },
      { name: 'metrics.txt', text: await metrics.text() },
      { name: 'httpmetrics.json.txt', text: goJsonBody(metrics.timers.snapshot()) },
    ];
    const profiles = await supportProfiles(SUPPORT_PROFILE_MS);
    files.push(
      { name: `${stem('cpu')}.cpuprofile`, text: profiles.cpu },
      { name: `${stem('heap')}.heapprofile`, text: profiles.heap },
      { name: 'heap-statistics.json.txt', text: goJsonBody(profiles.heapStatistics) },
    );
    return { files, secrets: [...secrets, ...(d.extraApiKey ? [d.extraApiKey] : [])] };
  };

  return [
    {
      method: 'GET',
      path: '/rest/debug/cpuprof',
      handler: async (ctx) => {
        const ms = profileDuration(ctx);
        // A client that hangs up ends the profile early instead of leaving it running.
        const gone = new AbortController();
        ctx.res.once('close', () => gone.abort());
        const profile = await cpuProfile(ms, gone.signal);
        attachment(ctx, 'application/octet-stream', `${stem('cpu')}.cpuprofile`);
        ctx.body = profile;
      },
    },
    {
      method: 'GET',
      path: '/rest/debug/heapprof',
      handler: (ctx) => {
        attachment(ctx, 'application/octet-stream', `${stem('heap')}.heapsnapshot`);
        ctx.body = heapSnapshot();
      },
    },
    { method: 'GET', path: '/rest/debug/httpmetrics', handler: (ctx) => sendJson(ctx, metrics.timers.snapshot()) },
    { method: 'GET', path: '/rest/debug/peerCompletion', handler: async (ctx) => sendJson(ctx, await d.folders.peerCompletion()) },
    {
      method: 'GET',
      path: '/rest/debug/support',
      handler: async (ctx) => {
        const now = new Date(d.clock.nowMs());
        const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${hhmmss(now)}`;
        const name = `support-bundle-${d.shortId}-${date}.zip`;
        const { files, secrets } = await supportFiles();
        const zip = await writeSupportBundle(d.system.homeDir(), name, files, secrets, now);
        attachment(ctx, 'application/zip', name);
        ctx.body = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
      },
    },
  ];
}
