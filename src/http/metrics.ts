import type { Context, Middleware } from 'koa';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventLog } from '../events/event-log.js';
import { ALL_EVENTS } from '../events/mask.js';
import type { SystemService } from '../services/system-service.js';
import type { FolderService } from '../services/folder-service.js';
import { HttpTimers } from './http-timers.js';
import { sampleLoopDelay } from './loop-delay.js';

/**
 * Prometheus metrics (the only importer of prom-client): HTTP requests by route and status,
 * events by type, parked polls, per-folder state, counts and scan durations, bytes hashed, and
 * the process's own metrics. Gauges are read from the services at scrape time, so nothing is
 * kept twice.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route'>;
  private readonly unlisten: () => void;
  private readonly stopLoopSampler: () => void;
  private closeExtra: () => void = () => undefined;
  /** The same requests, timed per /rest route for /rest/debug/httpmetrics. */
  readonly timers = new HttpTimers(() => performance.now());

  constructor(events: EventLog, folders: FolderService, system?: SystemService) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    this.requests = new Counter({ name: 'synchro_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [r] });
    this.durations = new Histogram({
      name: 'synchro_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (long polls included)',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [r],
    });
    const eventsTotal = new Counter({ name: 'synchro_events_total', help: 'Events logged, by type', labelNames: ['type'], registers: [r] });
    const scans = new Histogram({
      name: 'synchro_folder_scan_duration_seconds',
      help: 'Duration of folder scans',
      labelNames: ['folder'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [r],
    });
    this.unlisten = events.listen(ALL_EVENTS, (e) => {
      eventsTotal.inc({ type: e.type });
      if (e.type === 'DeviceConnected') connects.inc({ event: 'connected' });
      else if (e.type === 'DeviceDisconnected') connects.inc({ event: 'disconnected' });
      const d = e.data as { folder?: string; from?: string; duration?: number } | undefined;
      if (e.type === 'StateChanged' && d?.from === 'scanning' && typeof d.duration === 'number') scans.observe({ folder: d.folder ?? '' }, d.duration);
    });
    const loopDelay = new Histogram({
      name: 'synchro_eventloop_delay_seconds',
      help: 'How late the event loop ran a 10 ms timer (cumulative, for percentiles over any span)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [r],
    });
    this.stopLoopSampler = sampleLoopDelay((s) => loopDelay.observe(s));
    new Gauge({ name: 'synchro_event_polls_waiting', help: 'Long polls parked on /rest/events', registers: [r], collect() { this.set(events.waiting); } });
    // Device connections: read from the connection service at scrape time.
    const deviceBytes = new Gauge({ name: 'synchro_device_bytes_total', help: 'BEP bytes to and from each device over its current connection', labelNames: ['device', 'direction'], registers: [r] });
    new Gauge({
      name: 'synchro_devices_connected',
      help: 'Remote devices connected now',
      registers: [r],
      collect() {
        deviceBytes.reset();
        if (!system) return this.set(0);
        const c = system.connections() as { connections: Record<string, { connected: boolean; inBytesTotal: number; outBytesTotal: number }> };
        let n = 0;
        for (const [id, v] of Object.entries(c.connections)) {
          if (!v.connected) continue;
          n++;
          deviceBytes.set({ device: id, direction: 'in' }, v.inBytesTotal);
          deviceBytes.set({ device: id, direction: 'out' }, v.outBytesTotal);
        }
        this.set(n);
      },
    });
    const connects = new Counter({ name: 'synchro_device_connections_total', help: 'Device connections made and ended since start', labelNames: ['event'], registers: [r] });
    new Gauge({
      name: 'synchro_scanner_hashed_bytes_total',
      help: 'Bytes hashed by scans since start',
      registers: [r],
      collect() {
        this.set(folders.hashedBytes());
      },
    });
    // One pass over the folders per scrape fills the three per-folder families; prom-client
    // collects in registration order, so this gauge is registered before them.
    new Gauge({
      name: 'synchro_folders',
      help: 'Configured folders',
      registers: [r],
      collect() {
        state.reset();
        files.reset();
        bytes.reset();
        watched.reset();
        const ids = folders.folderIds();
        for (const id of ids) {
          const w = folders.watchCounts(id);
          watched.set({ folder: id, outcome: 'ignored' }, w.ignored);
          watched.set({ folder: id, outcome: 'queued' }, w.queued);
          const s = folders.status(id) as { state: string; localFiles: number; globalFiles: number; needFiles: number; localBytes: number; globalBytes: number; needBytes: number };
          state.set({ folder: id, state: s.state }, 1);
          for (const scope of ['local', 'global', 'need'] as const) {
            files.set({ folder: id, scope }, s[`${scope}Files`]);
            bytes.set({ folder: id, scope }, s[`${scope}Bytes`]);
          }
        }
        this.set(ids.length);
      },
    });
    const state = new Gauge({ name: 'synchro_folder_state', help: 'The state of each folder (1 for the current one)', labelNames: ['folder', 'state'], registers: [r] });
    const files = new Gauge({ name: 'synchro_folder_files', help: 'Files per folder: local, global and needed', labelNames: ['folder', 'scope'], registers: [r] });
    const bytes = new Gauge({ name: 'synchro_folder_bytes', help: 'Bytes per folder: local, global and needed', labelNames: ['folder', 'scope'], registers: [r] });
    const watched = new Gauge({
      name: 'synchro_folder_watch_changes',
      help: 'Changes the watch saw since the folder started: left out (ignored, internal, temporary) or queued for a scan',
      labelNames: ['folder', 'outcome'],
      registers: [r],
    });
    this.syncthingNames(events, folders, system);
  }

  /**
   * The metric names Syncthing (>= 1.24) exports, for its Grafana dashboards, wherever Synchro
   * has the value: folder state and summary, scans and their time, bytes hashed, events created,
   * and per-device traffic, pull iterations with their time and the bytes they put in place by
   * source (network, the file's old copy, another file, already in the temp file or a hole);
   * its fs_* operation counters have no counterpart here.
   */
  private syncthingNames(events: EventLog, folders: FolderService, system?: SystemService): void {
    const r = this.registry;
    // prom-client collects in registration order: the first family of each group fills the rest.
    new Gauge({
      name: 'syncthing_model_folder_state',
      help: 'Current folder state',
      labelNames: ['folder'],
      registers: [r],
      collect() {
        this.reset();
        summary.reset();
        hashed.reset();
        for (const id of folders.folderIds()) {
          const s = folders.status(id) as Record<string, number | string>;
          this.set({ folder: id }, SYNCTHING_STATE[s.state as string] ?? 0);
          for (const scope of ['global', 'local', 'need'] as const) {
            for (const type of ['files', 'directories', 'symlinks', 'deleted', 'bytes'] as const) {
              // The summary calls need deletes "needDeletes"; the others are <scope><Type>.
              const key = scope === 'need' && type === 'deleted' ? 'needDeletes' : `${scope}${type[0]!.toUpperCase()}${type.slice(1)}`;
              summary.set({ folder: id, scope, type }, Number(s[key] ?? 0));
            }
          }
          // Present at zero for every folder, as Syncthing registers them.
          for (const c of [scans, scanSeconds]) c.inc({ folder: id }, 0);
        }
        // Pulls are counted by the folders; the counters take the running totals at scrape time.
        pulls.reset();
        pullSeconds.reset();
        processed.reset();
        for (const [id, t] of folders.pullTotalsByFolder()) {
          pulls.inc({ folder: id }, t.pulls);
          pullSeconds.inc({ folder: id }, t.seconds);
          for (const [source, n] of Object.entries(t.processed)) processed.inc({ folder: id, source }, n);
        }
        for (const [id, n] of folders.hashedBytesByFolder()) hashed.set({ folder: id }, n);
      },
    });
    const summary = new Gauge({
      name: 'syncthing_model_folder_summary',
      help: 'Current folder summary data (counts for global/local/need files/directories/symlinks/deleted/bytes)',
      labelNames: ['folder', 'scope', 'type'],
      registers: [r],
    });
    const pulls = new Counter({ name: 'syncthing_model_folder_pulls_total', help: 'Total number of folder pull iterations, per folder ID', labelNames: ['folder'], registers: [r] });
    const pullSeconds = new Counter({ name: 'syncthing_model_folder_pull_seconds_total', help: 'Total time spent in folder pull iterations, per folder ID', labelNames: ['folder'], registers: [r] });
    const scans = new Counter({ name: 'syncthing_model_folder_scans_total', help: 'Total number of folder scan iterations, per folder ID', labelNames: ['folder'], registers: [r] });
    const scanSeconds = new Counter({ name: 'syncthing_model_folder_scan_seconds_total', help: 'Total time spent in folder scan iterations, per folder ID', labelNames: ['folder'], registers: [r] });
    const processed = new Counter({
      name: 'syncthing_model_folder_processed_bytes_total',
      help: 'Total amount of data processed during folder syncing, per folder ID and data source (network/local_origin/local_other/local_shifted/skipped)',
      labelNames: ['folder', 'source'],
      registers: [r],
    });
    const hashed = new Gauge({ name: 'syncthing_scanner_hashed_bytes_total', help: 'Total amount of data hashed, per folder', labelNames: ['folder'], registers: [r] });
    const eventsTotal = new Counter({ name: 'syncthing_events_total', help: 'Total number of created/forwarded/dropped events', labelNames: ['event', 'state'], registers: [r] });
    const unlisten = events.listen(ALL_EVENTS, (e) => {
      eventsTotal.inc({ event: e.type, state: 'created' });
      const d = e.data as { folder?: string; from?: string; to?: string; duration?: number } | undefined;
      if (e.type !== 'StateChanged' || !d?.folder) return;
      if (d.to === 'scanning') scans.inc({ folder: d.folder });
      if (d.from === 'scanning' && typeof d.duration === 'number') scanSeconds.inc({ folder: d.folder }, d.duration);
    });
    const prev = this.closeExtra;
    this.closeExtra = () => (prev(), unlisten());

    new Gauge({
      name: 'syncthing_protocol_sent_bytes_total',
      help: 'Total amount of data sent, per device',
      labelNames: ['device'],
      registers: [r],
      collect() {
        for (const g of [this, recvBytes, sentMsgs, recvMsgs]) g.reset();
        for (const [device, t] of system?.deviceTraffic() ?? []) {
          this.set({ device }, t.outBytes);
          recvBytes.set({ device }, t.inBytes);
          sentMsgs.set({ device }, t.outMessages);
          recvMsgs.set({ device }, t.inMessages);
        }
      },
    });
    const recvBytes = new Gauge({ name: 'syncthing_protocol_recv_bytes_total', help: 'Total amount of data received, per device', labelNames: ['device'], registers: [r] });
    const sentMsgs = new Gauge({ name: 'syncthing_protocol_sent_messages_total', help: 'Total number of messages sent, per device', labelNames: ['device'], registers: [r] });
    const recvMsgs = new Gauge({ name: 'syncthing_protocol_recv_messages_total', help: 'Total number of messages received, per device', labelNames: ['device'], registers: [r] });
  }

  /**
   * Counts and times every request when its response is over, not when the handler returns: a
   * long poll or an event stream hands the response off and ends much later. The route label is
   * the route template, never the raw URL.
   */
  middleware(): Middleware {
    return async (ctx, next) => {
      const start = performance.now();
      ctx.res.once('close', () => {
        const route = routeLabel(ctx);
        const ms = performance.now() - start;
        this.durations.observe({ method: ctx.method, route }, ms / 1000);
        this.requests.inc({ method: ctx.method, route, status: String(ctx.res.statusCode) });
        if (route.startsWith('/rest/')) this.timers.record(route, ms);
      });
      await next();
    };
  }

  async send(ctx: Context): Promise<void> {
    ctx.status = 200;
    ctx.type = this.registry.contentType;
    ctx.body = await this.text();
  }

  /** The exposition text, for the scrape and for the support bundle. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.unlisten();
    this.closeExtra();
    this.stopLoopSampler();
  }
}

/** Syncthing's folderState numbers (lib/model/folderstate.go), as syncthing_model_folder_state reports them. */
const SYNCTHING_STATE: Record<string, number> = {
  idle: 0,
  scanning: 1,
  'scan-waiting': 2,
  'sync-waiting': 3,
  'sync-preparing': 4,
  syncing: 5,
  cleaning: 6,
  'clean-waiting': 7,
  error: 8,
};

function routeLabel(ctx: Context): string {
  const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
  if (typeof matched === 'string') return matched;
  if (ctx.path === '/metrics' || ctx.path === '/meta.js') return ctx.path;
  if (ctx.path.startsWith('/qr/')) return '/qr/';
  return ctx.path.startsWith('/rest') ? '(unmatched)' : '(gui)';
}
