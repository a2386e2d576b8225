import { anyJson, arr, bool, int, map, obj, orNull, ref, str, type Schema } from './schema-kit.js';

/**
 * What the OpenAPI description says about each route the server registers, keyed by
 * "METHOD /path". The set of operations comes from the route table itself: a route without an
 * entry here, or an entry without a route, stops the description from being built.
 */

export interface Param {
  name: string;
  schema: Schema;
  description: string;
  required?: boolean;
  /** May be given more than once (?sub=a&sub=b). */
  repeat?: boolean;
}

export type Answer =
  | { json: Schema; description?: string; orEmpty?: boolean }
  | { empty: true; description?: string }
  | { text: string }
  | { binary: string; description: string }
  | { sse: true };

export interface OperationDoc {
  summary: string;
  tag: string;
  query?: Param[];
  /** The request body (JSON unless `bodyText`). */
  body?: Schema;
  bodyText?: boolean;
  ok: Answer;
  /** The success status (default 200). */
  okStatus?: number;
  /** Other statuses this operation answers (plain-text bodies), besides the auth failures every non-noauth route has. */
  errors?: Record<number, string>;
  /** No API key or session needed. */
  noAuth?: boolean;
}

const p = (name: string, schema: Schema, description: string, required = false): Param => ({ name, schema, description, required });
const folderP = (required = true) => p('folder', str, 'folder ID', required);
const pageP = [p('page', int, 'page number, from 1'), p('perpage', int, 'items per page (default 65536)')];
const asyncP = p('_async', { type: 'string', enum: ['true', 'false'] }, 'true: answer at once with a job id (see /rest/jobs)');
const EMPTY: Answer = { empty: true, description: '200 with an empty body' };
const badJson = { 400: 'the body is not valid JSON for this object' };
const configWrite = { ...badJson, 412: 'If-Match does not match the current ETag', 500: 'the resulting configuration was refused' };
const eventsQ = [
  p('since', int, 'answer events after this id; waits while there are none'),
  p('limit', int, 'at most this many (the newest)'),
  p('timeout', int, 'seconds to wait (default 60, 0 = answer at once)'),
  p('heartbeat', int, 'seconds between keep-alive whitespace while waiting (0-3600)'),
];
const SYNCHRO_ONLY = ' (Synchro only)';

export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /rest/system/status': { tag: 'system', summary: 'Runtime status: ID, uptime, memory, GUI address', ok: { json: ref('SystemStatus') } },
  'GET /rest/system/version': { tag: 'system', summary: 'Version information', ok: { json: ref('Version') } },
  'GET /rest/system/ping': { tag: 'system', summary: 'Liveness check', ok: { json: obj({ ping: str }) } },
  'POST /rest/system/ping': { tag: 'system', summary: 'Liveness check', ok: { json: obj({ ping: str }) } },
  'GET /rest/system/connections': { tag: 'system', summary: 'Connections to other devices (none connect yet)', ok: { json: ref('Connections') } },
  'GET /rest/system/discovery': { tag: 'system', summary: 'Discovery cache', ok: { json: map(arr(str)) } },
  'GET /rest/system/paths': { tag: 'system', summary: 'Where the service keeps its files', ok: { json: map(str) } },
  'GET /rest/system/error': { tag: 'system', summary: 'Notices for the user', ok: { json: ref('SystemErrors') } },
  'POST /rest/system/error': { tag: 'system', summary: 'Adds a notice (the body is its text)', bodyText: true, ok: EMPTY },
  'POST /rest/system/error/clear': { tag: 'system', summary: 'Clears the notices', ok: EMPTY },
  'GET /rest/system/log': { tag: 'system', summary: 'Recent log lines', query: [p('since', str, 'RFC 3339 time; only later lines')], ok: { json: ref('LogMessages') } },
  'GET /rest/system/log.txt': { tag: 'system', summary: 'Recent log lines as text', query: [p('since', str, 'RFC 3339 time; only later lines')], ok: { text: 'log lines' } },
  'GET /rest/system/browse': { tag: 'system', summary: 'Directory completion for a path prefix', query: [p('current', str, 'path typed so far')], ok: { json: arr(str) } },
  'GET /rest/system/upgrade': { tag: 'system', summary: 'Upgrade check (not supported)', ok: { text: '' }, errors: { 501: 'upgrade unsupported' } },
  'POST /rest/system/upgrade': { tag: 'system', summary: 'Upgrade (not supported)', ok: { text: '' }, errors: { 501: 'upgrade unsupported' } },
  'POST /rest/system/restart': { tag: 'system', summary: 'Restarts the service in place', ok: { json: ref('Ok') } },
  'POST /rest/system/shutdown': { tag: 'system', summary: 'Stops the service', ok: { json: ref('Ok') } },
  'POST /rest/system/reset': { tag: 'system', summary: "Erases a folder's index (or all) and restarts", query: [folderP(false)], ok: { json: ref('Ok') }, errors: { 500: 'Invalid folder ID' } },
  'POST /rest/system/pause': { tag: 'system', summary: 'Pauses a device (or all)', query: [p('device', str, 'device ID')], ok: EMPTY, errors: { 404: 'unknown device', 500: 'malformed device ID' } },
  'POST /rest/system/resume': { tag: 'system', summary: 'Resumes a device (or all)', query: [p('device', str, 'device ID')], ok: EMPTY, errors: { 404: 'unknown device', 500: 'malformed device ID' } },
  'GET /rest/system/loglevels': { tag: 'system', summary: 'Log levels per facility', ok: { json: ref('Facilities') } },
  'POST /rest/system/loglevels': { tag: 'system', summary: 'Sets log levels per facility', body: map(str), ok: EMPTY, errors: { 400: 'not an object of facility to level, or an unknown level' } },
  'GET /rest/system/debug': { tag: 'system', summary: 'Facilities with debug logging', ok: { json: ref('DebugFacilities') } },
  'POST /rest/system/debug': { tag: 'system', summary: 'Turns debug logging on or off per facility', query: [p('enable', str, 'comma-separated facilities'), p('disable', str, 'comma-separated facilities')], ok: EMPTY },

  'GET /rest/svc/deviceid': { tag: 'svc', summary: 'Checks and normalises a device ID', query: [p('id', str, 'device ID', true)], ok: { json: { anyOf: [obj({ id: str }), obj({ error: str })] } } },
  'GET /rest/svc/lang': { tag: 'svc', summary: "The browser's languages", noAuth: true, ok: { json: arr(str) } },
  'GET /rest/svc/random/string': { tag: 'svc', summary: 'A random string', query: [p('length', int, 'length (default 32, at most 65536)')], ok: { json: obj({ random: str }) } },
  'GET /rest/svc/report': { tag: 'svc', summary: 'Usage report preview', query: [p('version', int, 'report version')], ok: { json: map(anyJson) } },
  'GET /rest/stats/device': { tag: 'stats', summary: 'Per-device statistics', ok: { json: ref('DeviceStats') } },
  'GET /rest/stats/folder': { tag: 'stats', summary: 'Per-folder statistics', ok: { json: ref('FolderStats') } },

  'GET /rest/noauth/health': { tag: 'noauth', summary: 'Health check without credentials', noAuth: true, ok: { json: obj({ status: str }) } },
  'POST /rest/noauth/auth/password': {
    tag: 'noauth',
    summary: 'Signs in with the GUI user and password; sets the session cookie',
    noAuth: true,
    body: obj({ username: str, password: str, stayLoggedIn: bool }, ['stayLoggedIn']),
    ok: { empty: true, description: 'signed in' },
    okStatus: 204,
    errors: { 400: 'Failed to parse username and password.', 403: 'Forbidden', 404: 'no GUI user is set' },
  },
  'POST /rest/noauth/auth/logout': { tag: 'noauth', summary: 'Signs out', noAuth: true, ok: { empty: true, description: 'signed out' }, okStatus: 204, errors: { 404: 'no GUI user is set' } },

  'GET /rest/cluster/pending/devices': { tag: 'cluster', summary: 'Devices that asked to connect', ok: { json: map(anyJson) } },
  'DELETE /rest/cluster/pending/devices': { tag: 'cluster', summary: 'Forgets a pending device', query: [p('device', str, 'device ID', true)], ok: EMPTY, errors: { 400: 'malformed device ID' } },
  'GET /rest/cluster/pending/folders': { tag: 'cluster', summary: 'Folders offered by other devices', query: [p('device', str, 'device ID')], ok: { json: map(anyJson) }, errors: { 400: 'malformed device ID' } },
  'DELETE /rest/cluster/pending/folders': { tag: 'cluster', summary: 'Forgets a pending folder', query: [folderP(), p('device', str, 'device ID')], ok: EMPTY, errors: { 400: 'malformed device ID' } },

  'GET /rest/events': { tag: 'events', summary: 'Events after `since` (long poll)', query: [...eventsQ, p('events', str, 'comma-separated event types')], ok: { json: arr(ref('Event')) }, errors: { 400: 'bad since, limit, timeout, heartbeat or event type' } },
  'GET /rest/events/disk': { tag: 'events', summary: 'LocalChangeDetected and RemoteChangeDetected after `since` (long poll)', query: eventsQ, ok: { json: arr(ref('Event')) }, errors: { 400: 'bad since, limit, timeout or heartbeat' } },
  'GET /rest/events/stream': { tag: 'events', summary: 'Events as Server-Sent Events' + SYNCHRO_ONLY, query: [p('events', str, 'comma-separated event types'), p('since', int, 'start after this id (Last-Event-ID wins)')], ok: { sse: true }, errors: { 400: 'bad since or event type' } },

  'GET /rest/db/status': { tag: 'db', summary: "A folder's counters and state", query: [folderP()], ok: { json: ref('FolderSummary') }, errors: { 404: 'no such folder' } },
  'GET /rest/db/file': { tag: 'db', summary: 'The local and global record of one file', query: [folderP(), p('file', str, 'path in the folder', true)], ok: { json: ref('DbFile') }, errors: { 404: 'no such folder or file' } },
  'GET /rest/db/browse': { tag: 'db', summary: "The folder's tree", query: [folderP(), p('prefix', str, 'subdirectory'), p('levels', int, 'depth (default all)'), p('dirsonly', str, 'any value: directories only')], ok: { json: arr(ref('TreeEntry')) }, errors: { 500: 'no such folder, or a bad prefix' } },
  'GET /rest/db/completion': { tag: 'db', summary: 'How complete a folder or device is', query: [folderP(false), p('device', str, 'device ID')], ok: { json: ref('Completion') }, errors: { 404: 'no such folder', 500: 'malformed device ID' } },
  'GET /rest/db/need': { tag: 'db', summary: 'What this device needs', query: [folderP(), ...pageP], ok: { json: ref('NeedPage') }, errors: { 404: 'no such folder' } },
  'GET /rest/db/remoteneed': { tag: 'db', summary: 'What another device needs', query: [folderP(), p('device', str, 'device ID', true), ...pageP], ok: { json: ref('FilesPage') }, errors: { 404: 'no such folder', 500: 'malformed device ID' } },
  'GET /rest/db/localchanged': { tag: 'db', summary: "A receive-only folder's local changes", query: [folderP(), ...pageP], ok: { json: ref('FilesPage') }, errors: { 404: 'no such folder' } },
  'POST /rest/db/scan': {
    tag: 'db',
    summary: 'Scans a folder (or all); blocks until done unless _async',
    query: [folderP(false), { ...p('sub', str, 'sub path to scan'), repeat: true }, p('next', int, 'seconds until the next periodic scan'), asyncP],
    ok: { json: ref('JobId'), orEmpty: true, description: '200 with an empty body when done; {"jobid": N} at once with _async=true' },
    errors: { 400: '_async is not true or false', 500: 'the scan failed (the error text)' },
  },
  'POST /rest/db/prio': { tag: 'db', summary: 'Moves a file first in the pull queue', query: [folderP(), p('file', str, 'path', true)], ok: { json: ref('NeedPage') }, errors: { 404: 'no such folder' } },
  'POST /rest/db/override': { tag: 'db', summary: "Makes a send-only folder's copy win (in the background)", query: [folderP(), asyncP], ok: { json: ref('JobId'), orEmpty: true, description: '200 with an empty body; {"jobid": N} with _async=true' }, errors: { 400: '_async is not true or false' } },
  'POST /rest/db/revert': { tag: 'db', summary: "Undoes a receive-only folder's local changes (in the background)", query: [folderP(), asyncP], ok: { json: ref('JobId'), orEmpty: true, description: '200 with an empty body; {"jobid": N} with _async=true' }, errors: { 400: '_async is not true or false' } },
  'GET /rest/db/ignores': { tag: 'db', summary: "A folder's .stignore lines and expanded patterns", query: [folderP()], ok: { json: ref('Ignores') } },
  'POST /rest/db/ignores': { tag: 'db', summary: "Replaces a folder's .stignore and rescans", query: [folderP()], body: obj({ ignore: orNull(arr(str)) }), ok: { json: ref('Ignores') }, errors: { ...badJson, 500: 'no such folder, or the file could not be written' } },
  'GET /rest/folder/errors': { tag: 'folder', summary: "A folder's per-file errors", query: [folderP(), ...pageP], ok: { json: ref('ErrorsPage') }, errors: { 404: 'no such folder' } },
  'GET /rest/folder/pullerrors': { tag: 'folder', summary: 'Deprecated name of /rest/folder/errors', query: [folderP(), ...pageP], ok: { json: ref('ErrorsPage') }, errors: { 404: 'no such folder' } },
  'GET /rest/folder/versions': { tag: 'folder', summary: 'Stored versions by path', query: [folderP()], ok: { json: ref('Versions') }, errors: { 500: 'no such folder, or folder has no versioner' } },
  'POST /rest/folder/versions': {
    tag: 'folder',
    summary: 'Restores versions; answers the failures by path',
    query: [folderP(), asyncP],
    body: map(str),
    ok: { json: { anyOf: [ref('RestoreErrors'), ref('JobId')] } },
    errors: { 400: 'the body is not an object of path to RFC 3339 time, or _async is not true or false', 500: 'no such folder, or folder has no versioner' },
  },
  'GET /rest/debug/cpuprof': {
    tag: 'debug',
    summary: 'A V8 CPU profile of the service, loadable in Chrome DevTools (gui.debugging only)',
    query: [p('duration', str, 'how long to sample, a Go duration such as 30s (default 30s, at most 5m)')],
    ok: { binary: 'application/octet-stream', description: 'a .cpuprofile attachment' },
    errors: { 400: 'duration does not parse, is negative or is over 5 minutes', 403: 'Debugging disabled' },
  },
  'GET /rest/debug/heapprof': { tag: 'debug', summary: 'A V8 heap snapshot (gui.debugging only)', ok: { binary: 'application/octet-stream', description: 'a .heapsnapshot attachment' }, errors: { 403: 'Debugging disabled' } },
  'GET /rest/debug/httpmetrics': { tag: 'debug', summary: 'Request counts, rates and times per /rest route (gui.debugging only)', ok: { json: ref('HttpMetrics') }, errors: { 403: 'Debugging disabled' } },
  'GET /rest/debug/peerCompletion': { tag: 'debug', summary: 'Completion percent per remote device over its shared folders (gui.debugging only)', ok: { json: map(int) }, errors: { 403: 'Debugging disabled' } },
  'GET /rest/debug/support': {
    tag: 'debug',
    summary: 'A support bundle: redacted config, logs, version, status, folder summaries, usage report, metrics (gui.debugging only)',
    ok: { binary: 'application/zip', description: 'a zip attachment, also kept in the home directory' },
    errors: { 403: 'Debugging disabled' },
  },
  'GET /rest/debug/file': { tag: 'debug', summary: 'Index records of one file (gui.debugging only)', query: [folderP(), p('file', str, 'path', true)], ok: { json: map(anyJson) }, errors: { 403: 'Debugging disabled', 404: 'no such folder or file' } },

  'GET /rest/jobs': { tag: 'jobs', summary: 'Ids of the jobs not yet expired' + SYNCHRO_ONLY, ok: { json: ref('JobList') } },
  'GET /rest/jobs/status': { tag: 'jobs', summary: 'A job: times, result, output and progress' + SYNCHRO_ONLY, query: [p('jobid', int, 'job id', true)], ok: { json: ref('JobStatus') }, errors: { 400: 'jobid is not a number', 404: 'job not found' } },
  'POST /rest/jobs/stop': { tag: 'jobs', summary: 'Stops a job' + SYNCHRO_ONLY, query: [p('jobid', int, 'job id', true)], ok: EMPTY, errors: { 400: 'jobid is not a number', 404: 'job not found' } },
  'GET /rest/openapi.json': { tag: 'meta', summary: 'This description' + SYNCHRO_ONLY, ok: { json: map(anyJson) } },
};

/** The config routes: every object answers with an ETag and takes If-Match on writes. */
function configOps(): Record<string, OperationDoc> {
  const out: Record<string, OperationDoc> = {};
  const get = (schema: Schema, what: string): OperationDoc => ({ tag: 'config', summary: `${what} (with an ETag)`, ok: { json: schema } });
  const write = (verb: string, schema: Schema | undefined, what: string): OperationDoc => ({ tag: 'config', summary: `${verb} ${what} (If-Match honoured)`, body: schema, ok: EMPTY, errors: configWrite });
  const whole = ref('Configuration');
  Object.assign(out, {
    'GET /rest/config': get(whole, 'The whole configuration'),
    'PUT /rest/config': write('Replaces', whole, 'the whole configuration'),
    'GET /rest/system/config': get(whole, 'Deprecated: the whole configuration'),
    'POST /rest/system/config': write('Deprecated: replaces', whole, 'the whole configuration'),
    'GET /rest/config/insync': { tag: 'config', summary: 'Whether no restart is needed', ok: { json: obj({ configInSync: bool }) } },
    'GET /rest/system/config/insync': { tag: 'config', summary: 'Deprecated: whether no restart is needed', ok: { json: obj({ configInSync: bool }) } },
    'GET /rest/config/restart-required': { tag: 'config', summary: 'Whether a restart is needed', ok: { json: obj({ requiresRestart: bool }) } },
  });
  for (const [kind, schema, idName] of [
    ['folders', ref('FolderConfiguration'), 'folder'],
    ['devices', ref('DeviceConfiguration'), 'device'],
  ] as const) {
    out[`GET /rest/config/${kind}`] = get(arr(schema), `Every ${idName}`);
    out[`PUT /rest/config/${kind}`] = write('Replaces', arr(schema), `every ${idName}`);
    out[`POST /rest/config/${kind}`] = write('Adds or replaces', schema, `one ${idName}`);
    out[`GET /rest/config/${kind}/:id`] = { ...get(schema, `One ${idName}`), errors: { 404: `no ${idName} with that ID` } };
    out[`PUT /rest/config/${kind}/:id`] = write('Replaces', schema, `one ${idName}`);
    out[`PATCH /rest/config/${kind}/:id`] = { ...write('Changes fields of', map(anyJson), `one ${idName}`), errors: { ...configWrite, 404: `no ${idName} with that ID` } };
    out[`DELETE /rest/config/${kind}/:id`] = { ...write('Removes', undefined, `one ${idName}`), errors: { ...configWrite, 404: `no ${idName} with that ID` } };
  }
  for (const [name, schema] of [
    ['options', ref('Options')],
    ['gui', ref('Gui')],
    ['ldap', ref('Ldap')],
    ['defaults/folder', ref('FolderConfiguration')],
    ['defaults/device', ref('DeviceConfiguration')],
  ] as const) {
    out[`GET /rest/config/${name}`] = get(schema, name);
    out[`PUT /rest/config/${name}`] = write('Replaces', schema, name);
    out[`PATCH /rest/config/${name}`] = write('Changes fields of', map(anyJson), name);
  }
  out['GET /rest/config/defaults/ignores'] = get(ref('DefaultIgnores'), 'The ignore lines new folders get');
  out['PUT /rest/config/defaults/ignores'] = write('Replaces', ref('DefaultIgnores'), 'the default ignore lines');
  return out;
}
Object.assign(OPERATIONS, configOps());
