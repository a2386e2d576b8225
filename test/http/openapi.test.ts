import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { addFolder, write } from '../support/folder-helpers.js';

/**
 * GET /rest/openapi.json is a valid OpenAPI 3.1 document, and every operation it lists is called
 * here and answers with a documented status and, for JSON, a body its schema accepts. A route
 * added without a call below fails the coverage check.
 */

let s: TestServer;
let doc: any;
let root: string;
let me: string;
let cleanup: () => Promise<void>;

before(async () => {
  s = await startServer();
  const t = await tempDir();
  cleanup = t.cleanup;
  root = path.join(t.dir, 'f');
  await write(root, 'sub/a.txt', 'hello');
  await write(root, '.stversions/sub/a~20240102-130405.txt', 'old');
  await addFolder(s, 'f', root, { versioning: { type: 'simple' } });
  await addFolder(s, 'ro', path.join(t.dir, 'ro'), { type: 'receiveonly' });
  me = (await s.json('/rest/system/status')).myID;
  // The /rest/debug routes answer 403 unless debugging is on.
  await s.req('/rest/config/gui', { method: 'PATCH', body: '{"debugging": true}' });
  doc = await s.json('/rest/openapi.json');
});

after(async () => {
  await s.stop().catch(() => undefined);
  await cleanup();
});

interface Call {
  op: string;
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

/** One call per operation, with the inputs a client would send. Order matters only at the end. */
function calls(): Call[] {
  const folder = JSON.stringify({ id: 'g', path: path.join(root, '..', 'g'), fsWatcherEnabled: false });
  const device = JSON.stringify({ deviceID: 'AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA' });
  const c = (op: string, url?: string, body?: unknown, headers?: Record<string, string>): Call => ({
    op,
    url: url ?? op.split(' ')[1]!,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers,
  });
  return [
    c('GET /rest/system/status'),
    c('GET /rest/system/version'),
    c('GET /rest/system/ping'),
    c('POST /rest/system/ping'),
    c('GET /rest/system/connections'),
    c('GET /rest/system/discovery'),
    c('GET /rest/system/paths'),
    c('POST /rest/system/error', undefined, 'a notice'),
    c('GET /rest/system/error'),
    c('POST /rest/system/error/clear'),
    c('GET /rest/system/log'),
    c('GET /rest/system/log.txt'),
    c('GET /rest/system/browse', `/rest/system/browse?current=${encodeURIComponent(root + '/')}`),
    c('GET /rest/system/upgrade'),
    c('POST /rest/system/upgrade'),
    c('POST /rest/system/pause', `/rest/system/pause?device=${me}`),
    c('POST /rest/system/resume', `/rest/system/resume?device=${me}`),
    c('GET /rest/system/loglevels'),
    c('POST /rest/system/loglevels', undefined, { model: 'INFO' }),
    c('GET /rest/system/debug'),
    c('POST /rest/system/debug', '/rest/system/debug?enable=model&disable=model'),
    c('GET /rest/svc/deviceid', `/rest/svc/deviceid?id=${me}`),
    c('GET /rest/svc/lang'),
    c('GET /rest/svc/random/string', '/rest/svc/random/string?length=8'),
    c('GET /rest/svc/report'),
    c('GET /rest/stats/device'),
    c('GET /rest/stats/folder'),
    c('GET /rest/noauth/health'),
    c('POST /rest/noauth/auth/password', undefined, { username: 'u', password: 'p' }),
    c('POST /rest/noauth/auth/logout'),
    c('GET /rest/cluster/pending/devices'),
    c('DELETE /rest/cluster/pending/devices', `/rest/cluster/pending/devices?device=${me}`),
    c('GET /rest/cluster/pending/folders'),
    c('DELETE /rest/cluster/pending/folders', '/rest/cluster/pending/folders?folder=f'),
    c('GET /rest/events', '/rest/events?since=0&timeout=0'),
    c('GET /rest/events/disk', '/rest/events/disk?since=0&timeout=0'),
    c('GET /rest/events/stream'),
    c('GET /rest/db/status', '/rest/db/status?folder=f'),
    c('GET /rest/db/file', '/rest/db/file?folder=f&file=sub/a.txt'),
    c('GET /rest/db/browse', '/rest/db/browse?folder=f'),
    c('GET /rest/db/completion', '/rest/db/completion?folder=f'),
    c('GET /rest/db/need', '/rest/db/need?folder=f'),
    c('GET /rest/db/remoteneed', `/rest/db/remoteneed?folder=f&device=${me}`),
    c('GET /rest/db/localchanged', '/rest/db/localchanged?folder=ro'),
    c('POST /rest/db/scan', '/rest/db/scan?folder=f'),
    c('POST /rest/db/prio', '/rest/db/prio?folder=f&file=sub/a.txt'),
    c('POST /rest/db/override', '/rest/db/override?folder=f'),
    c('POST /rest/db/revert', '/rest/db/revert?folder=ro&_async=true'),
    c('GET /rest/db/ignores', '/rest/db/ignores?folder=f'),
    c('POST /rest/db/ignores', '/rest/db/ignores?folder=f', { ignore: ['*.tmp'] }),
    c('GET /rest/folder/errors', '/rest/folder/errors?folder=f'),
    c('GET /rest/folder/pullerrors', '/rest/folder/pullerrors?folder=f'),
    c('GET /rest/folder/versions', '/rest/folder/versions?folder=f'),
    c('POST /rest/folder/versions', '/rest/folder/versions?folder=f', { 'sub/a.txt': new Date(2024, 0, 2, 13, 4, 5).toISOString(), 'no.txt': new Date(2024, 0, 1).toISOString() }),
    c('GET /rest/debug/file', '/rest/debug/file?folder=f&file=sub/a.txt'),
    c('GET /rest/debug/cpuprof', '/rest/debug/cpuprof?duration=50ms'),
    c('GET /rest/debug/heapprof'),
    c('GET /rest/debug/httpmetrics'),
    c('GET /rest/debug/peerCompletion'),
    c('GET /rest/debug/support'),
    c('GET /rest/jobs'),
    c('GET /rest/jobs/status', '/rest/jobs/status?jobid=1'),
    c('POST /rest/jobs/stop', '/rest/jobs/stop?jobid=1'),
    c('GET /rest/openapi.json'),
    c('GET /rest/config'),
    c('GET /rest/system/config'),
    c('GET /rest/config/insync'),
    c('GET /rest/system/config/insync'),
    c('GET /rest/config/restart-required'),
    c('GET /rest/config/folders'),
    c('POST /rest/config/folders', undefined, folder),
    c('GET /rest/config/folders/{id}', '/rest/config/folders/g'),
    c('PATCH /rest/config/folders/{id}', '/rest/config/folders/g', { label: 'G' }),
    c('PUT /rest/config/folders/{id}', '/rest/config/folders/g', folder),
    c('DELETE /rest/config/folders/{id}', '/rest/config/folders/g'),
    c('GET /rest/config/devices'),
    c('POST /rest/config/devices', undefined, device),
    c('GET /rest/config/devices/{id}', `/rest/config/devices/${me}`),
    c('PATCH /rest/config/devices/{id}', `/rest/config/devices/${me}`, { name: 'me' }),
    c('PUT /rest/config/devices/{id}', '/rest/config/devices/AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA', device),
    c('DELETE /rest/config/devices/{id}', '/rest/config/devices/AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA'),
    ...['options', 'gui', 'ldap', 'defaults/folder', 'defaults/device'].flatMap((n) => [c(`GET /rest/config/${n}`), c(`PATCH /rest/config/${n}`, undefined, {})]),
    c('GET /rest/config/defaults/ignores'),
    c('PUT /rest/config/defaults/ignores', undefined, { lines: ['*.bak'] }),
    // The writes that take everything as given, with what GET answered.
    { op: 'PUT /rest/config/folders', url: '/rest/config/folders', body: 'GET /rest/config/folders' },
    { op: 'PUT /rest/config/devices', url: '/rest/config/devices', body: 'GET /rest/config/devices' },
    ...['options', 'gui', 'ldap', 'defaults/folder', 'defaults/device'].map((n) => ({ op: `PUT /rest/config/${n}`, url: `/rest/config/${n}`, body: `GET /rest/config/${n}` })),
    { op: 'PUT /rest/config', url: '/rest/config', body: 'GET /rest/config' },
    { op: 'POST /rest/system/config', url: '/rest/system/config', body: 'GET /rest/config' },
    // Last: these restart or stop the service.
    c('POST /rest/system/reset', '/rest/system/reset?folder=f'),
    c('POST /rest/system/restart'),
    c('POST /rest/system/shutdown'),
  ];
}

test('GET /rest/openapi.json is a valid OpenAPI 3.1 document', async () => {
  const result = await new Validator().validate(doc);
  assert.deepEqual(result, { valid: true });
  assert.equal(doc.openapi, '3.1.0');
});

test('every documented operation answers with a documented status and a body its schema accepts', async () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const table = calls();
  const ops: string[] = [];
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) for (const m of Object.keys(item)) ops.push(`${m.toUpperCase()} ${p}`);
  assert.deepEqual(
    ops.filter((o) => !table.some((c) => c.op === o)),
    [],
    'operations without a call',
  );
  const problems: string[] = [];
  for (const call of table) {
    const [method, p] = call.op.split(' ') as [string, string];
    const op = doc.paths[p]?.[method.toLowerCase()];
    assert.ok(op, `${call.op} is not documented`);
    let body = call.body;
    if (body?.startsWith('GET ')) body = await (await s.req(body.slice(4))).text();
    const ctl = new AbortController();
    let res: Response;
    try {
      res = await s.req(call.url, { method, body, headers: call.headers, signal: ctl.signal });
    } catch (err) {
      problems.push(`${call.op}: ${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}`);
      continue;
    }
    const type = res.headers.get('content-type') ?? '';
    const documented = op.responses[String(res.status)];
    if (!documented) {
      problems.push(`${call.op}: answered ${res.status}, documented ${Object.keys(op.responses).join(', ')}: ${(await res.text()).slice(0, 200)}`);
      continue;
    }
    if (type.startsWith('text/event-stream')) {
      ctl.abort();
      assert.ok(documented.content['text/event-stream'], `${call.op}: an undocumented stream`);
      continue;
    }
    const text = await res.text();
    const json = documented.content?.['application/json'];
    if (json && res.status < 300 && text === '' && documented['x-empty-body']) continue;
    if (json && res.status < 300) {
      const validate = ajv.compile({ components: doc.components, ...json.schema });
      if (!validate(JSON.parse(text))) problems.push(`${call.op}: ${ajv.errorsText(validate.errors)}`);
    } else if (!documented.content && res.status < 300 && text !== '') problems.push(`${call.op}: documented empty, answered ${text.slice(0, 100)}`);
    if (call.op === 'POST /rest/system/restart' || call.op === 'POST /rest/system/reset') await waitForRestart(s);
  }
  assert.deepEqual(problems, []);
});

async function waitForRestart(server: TestServer): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await server.req('/rest/system/ping').then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('every operation has a summary, a tag, and the auth failures unless it needs no credentials', () => {
  const ops = Object.values(doc.paths as Record<string, Record<string, { summary: string; tags: string[]; security?: unknown[]; responses: Record<string, unknown> }>>).flatMap((i) => Object.values(i));
  assert.ok(ops.length >= 90, `only ${ops.length} operations`);
  for (const o of ops) {
    assert.ok(o.summary && o.tags.length === 1);
    if (o.security === undefined) assert.ok(o.responses['401'] && o.responses['403'], o.summary);
  }
});
