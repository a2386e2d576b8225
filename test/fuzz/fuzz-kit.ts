import http from 'node:http';
import fc from 'fast-check';

/**
 * Generated requests against every operation of the service's own OpenAPI description, and the
 * property each answer must keep: a status Syncthing would use for that operation (500 only where
 * the operation documents it), always an answer, never a dropped connection.
 */

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. /rest/config/folders/{id} */
  path: string;
  query: string[];
  statuses: Set<number>;
}

export interface FuzzRequest {
  op: Operation;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface Known {
  apiKey: string;
  folderIds: string[];
  deviceIds: string[];
}

/** Never fuzzed: they stop or restart the whole service, which is the point of them. */
const LEFT_OUT = new Set(['POST /rest/system/restart', 'POST /rest/system/shutdown', 'POST /rest/system/reset']);
/**
 * Writes that replace a whole list, the whole config or the GUI section: a well-formed body would
 * legitimately wipe it (a PUT of `gui` without `apiKey` makes a new key, as Syncthing does), so only
 * malformed bodies go there.
 */
const REPLACING = new Set(['PUT /rest/config', 'POST /rest/system/config', 'PUT /rest/config/folders', 'PUT /rest/config/devices', 'PUT /rest/config/gui']);

/** Statuses any operation may answer besides its documented ones: redirects to the canonical path, method and auth refusals, bad input. */
const ALWAYS = [200, 204, 301, 304, 307, 400, 401, 403, 404, 405, 412, 413];

export function operations(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [p, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [m, op] of Object.entries<any>(item)) {
      const method = m.toUpperCase();
      if (LEFT_OUT.has(`${method} ${p}`)) continue;
      ops.push({
        method,
        path: p,
        query: (op.parameters ?? []).filter((x: any) => x.in === 'query').map((x: any) => x.name),
        statuses: new Set([...ALWAYS, ...Object.keys(op.responses).map(Number)]),
      });
    }
  }
  return ops;
}

const tricky = fc.constantFrom('', ' ', '..', '../..', '%2e%2e', '%2e%2e%2f', '/', '//', '\\', '~', '.', '%00', '\u0000', 'a/../../etc/passwd', '/etc/passwd', 'C:\\Windows', '\u202e', 'ﬁle', 'ＦＯＯ', 'a'.repeat(5000), '%zz', '%', '?', '#', '-1', '0', '1e309', 'NaN', 'null', 'true', '9'.repeat(30), '-9223372036854775809', '0x10', ' 1');
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), tricky);

/** A query or path value: mostly junk, sometimes a real ID (for reads) so the routes get past their first check. */
function value(known: Known, real: boolean): fc.Arbitrary<string> {
  const reals = real ? [...known.folderIds, ...known.deviceIds] : [];
  return reals.length ? fc.oneof({ weight: 3, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(...reals) }) : text;
}

const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
const jsonish = fc.oneof(
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
  fc.anything({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.constantFrom(
    Buffer.from(deep(5000, '[', ']')),
    Buffer.from(deep(5000, '{"a":', '}').replace(/}$/, '1}'.repeat(1)).slice(0, 30000)),
    Buffer.from(`{"s":"${'x'.repeat(2_000_000)}"}`),
    Buffer.from('{"id":"a","id":"b","path":"/tmp/x","path":"relative"}'),
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
    Buffer.from('{"ignore": [1, 2, 3]}'),
    Buffer.from('{"ignore": ["#include ../../../etc/passwd"]}'),
    Buffer.from('{"ignore": null}'),
    Buffer.from('{"paused": "yes"}'),
    Buffer.from('{"rescanIntervalS": 1e400}'),
    Buffer.from('[{"id": 5}]'),
    Buffer.from('nul'),
    Buffer.from(''),
    Buffer.from('\ufeff{}'),
  ),
);
/** Bodies for the replacing writes: never well-formed for the route (a wrong type in a field it knows). */
const malformedAny = [Buffer.from('{'), Buffer.from('[1, 2'), Buffer.from('"a string"'), Buffer.from('42'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(deep(5000, '[', ']'))];
const wrongTypes: Record<string, Buffer[]> = {
  'PUT /rest/config': [Buffer.from('{"folders": "nope"}'), Buffer.from('{"version": "x"}')],
  'POST /rest/system/config': [Buffer.from('{"folders": "nope"}'), Buffer.from('{"version": "x"}')],
  'PUT /rest/config/gui': [Buffer.from('{"apiKey": 5}'), Buffer.from('{"enabled": "yes"}')],
};
const malformed = (route: string) => fc.constantFrom(...malformedAny, ...(wrongTypes[route] ?? []));

const contentTypes = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '', 'garbage/;;;');

function headers(known: Known): fc.Arbitrary<Record<string, string>> {
  return fc
    .record(
      {
        key: fc.oneof({ weight: 8, arbitrary: fc.constant(known.apiKey) }, { weight: 1, arbitrary: fc.constantFrom('', 'wrong', known.apiKey + 'x', known.apiKey.toLowerCase()) }),
        bearer: fc.boolean(),
        type: contentTypes,
        cookie: fc.option(fc.constantFrom('sessionid-XXXXXXX=abc', 'CSRF-Token-AAAAAAA=zz; CSRF-Token-AAAAAAA=yy', '=;=;;', 'a'.repeat(4000) + '=1'), { nil: undefined }),
        csrf: fc.option(fc.tuple(fc.constantFrom('X-CSRF-Token-AAAAAAA', 'X-CSRF-Token', 'x-csrf-token-'), fc.string({ maxLength: 70 })), { nil: undefined }),
        host: fc.option(fc.constantFrom('evil.example', 'localhost', '127.0.0.1:1', '[::1]', 'localhost.', 'LOCALHOST', ''), { nil: undefined }),
        origin: fc.option(fc.constantFrom('http://evil.example', 'null'), { nil: undefined }),
      },
      { requiredKeys: ['key', 'bearer', 'type'] },
    )
    .map((h) => {
      const out: Record<string, string> = { 'Content-Type': h.type };
      if (h.key !== '') out[h.bearer ? 'Authorization' : 'X-API-Key'] = h.bearer ? `Bearer ${h.key}` : h.key;
      if (h.cookie) out.Cookie = h.cookie;
      if (h.csrf) out[h.csrf[0]] = h.csrf[1].replace(/[^\x20-\x7e]/g, '');
      if (h.host !== undefined) out.Host = h.host;
      if (h.origin) out.Origin = h.origin;
      return out;
    });
}

/** Rewrites of the path itself: case, doubled or trailing slashes, dot segments, encoded slashes. */
const pathTrick = fc.constantFrom<(p: string) => string>(
  (p) => p,
  (p) => p,
  (p) => p,
  (p) => p.toUpperCase(),
  (p) => p + '/',
  (p) => p.replace('/rest/', '/rest//'),
  (p) => p.replace('/rest/', '/rest/./'),
  (p) => p.replace('/rest/', '/rest/x/../'),
  (p) => p.replace(/\/([^/]*)$/, '%2F$1'),
  (p) => p + '%00',
  (p) => '/x/../' + p.slice(1),
);

const enc = (s: string) => encodeURIComponent(s);

export function requests(ops: Operation[], known: Known): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...ops).chain((op) => {
    const read = op.method === 'GET';
    const params = op.path.match(/\{[^}]+\}/g) ?? [];
    return fc
      .record({
        pathValues: fc.array(value(known, read), { minLength: params.length, maxLength: params.length }),
        query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...(op.query.length ? op.query : ['x'])), fc.constantFrom('_async', 'since', 'timeout', 'page', 'perpage', 'folder', 'file', 'x')), value(known, read)), { maxLength: 4 }),
        body: op.method === 'GET' ? fc.constant(undefined) : REPLACING.has(`${op.method} ${op.path}`) ? malformed(`${op.method} ${op.path}`) : fc.option(jsonish, { nil: undefined }),
        headers: headers(known),
        trick: pathTrick,
        method: fc.oneof({ weight: 12, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'DELETE', 'PATCH', 'TRACE', 'PUT') }),
      })
      .map((r) => {
        let p = op.path;
        params.forEach((name, i) => (p = p.replace(name, enc(r.pathValues[i]!))));
        const q = r.query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
        const url = r.trick(p) + (q ? `?${q}` : '');
        const method = LEFT_OUT.has(`${r.method} ${op.path}`) ? op.method : r.method;
        return { op, method, url, headers: r.headers, body: r.body };
      });
  });
}

export interface Answer {
  status: number;
  /** The route parks by design (a long poll or a stream) and was cut off by the client. */
  parked?: boolean;
}

const PARKING = /^\/rest\/events/i;

/** Sends one request over a fresh connection; long polls and streams are cut after `parkMs`. */
export function send(port: number, r: FuzzRequest, parkMs = 1500): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let url = r.url;
    // Node's client refuses control characters and spaces in the request line; send them encoded.
    url = url.replace(/[\u0000-\u0020\u007f-\uffff]/g, (c) => encodeURIComponent(c));
    const headers = { ...r.headers };
    if (r.body) headers['Content-Length'] = String(r.body.length);
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: url, headers, agent: false, setHost: headers.Host === undefined });
    const timer = setTimeout(() => {
      if (PARKING.test(new URL(url, 'http://x').pathname)) {
        req.destroy();
        resolve({ status: 0, parked: true });
      } else req.destroy(new Error(`no answer in ${parkMs * 20} ms`));
    }, PARKING.test(url) ? parkMs : parkMs * 20);
    req.on('response', (res) => {
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        clearTimeout(timer);
        req.destroy();
        return resolve({ status: res.statusCode!, parked: true });
      }
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode! });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      // A body we were still sending when the server answered 413 and closed is the server being right.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET') {
        if ((r.body?.length ?? 0) > 1_000_000) return resolve({ status: 413 });
      }
      reject(e);
    });
    if (r.body) req.write(r.body);
    req.end();
  });
}

/** Why an answer breaks the property, or undefined when it is fine. */
export function check(r: FuzzRequest, a: Answer): string | undefined {
  if (a.parked) return undefined;
  if (r.method !== r.op.method) return [200, 204, 301, 307, 400, 403, 404, 405].includes(a.status) ? undefined : `${a.status} for a ${r.method} on ${r.op.method} ${r.op.path}`;
  if (!r.op.statuses.has(a.status)) return `${a.status} is not a status ${r.op.method} ${r.op.path} answers (documented: ${[...r.op.statuses].join(', ')})`;
  return undefined;
}
