// Issue 23: answers compared with a real Syncthing 1.19.2 on the same requests and the same data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { referenceUnavailable, startReference, type Reference } from '../support/syncthing-ref.js';
import { addFolder } from '../support/folder-helpers.js';
import { runCli } from '../../src/cli/program.js';
import { reportFixture } from '../support/report-fixture.js';

const why = referenceUnavailable();
const opts = why ? { skip: `real Syncthing not available: ${why}` } : {};

let ref: Reference;
let ours: TestServer;
let dir: string;
let cleanup: () => Promise<void>;

/** Both servers as one shape: a request with the API key. */
type Side = { name: string; req: (p: string, init?: RequestInit) => Promise<Response> };
const sides = (): Side[] => [
  { name: 'ours', req: (p, init) => ours.req(p, init) },
  { name: 'ref', req: (p, init) => ref.req(p, init) },
];

/** Waits (on the event stream) until the reference's folder has finished a scan. */
async function refIdle(id: string): Promise<void> {
  let since = 0;
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const evs = await ref.json<{ id: number; type: string; data: { folder: string; to: string } }[]>(`/rest/events?events=StateChanged&since=${since}&timeout=5`);
    if (evs.some((e) => e.data.folder === id && e.data.to === 'idle')) return;
    if (evs.length) since = evs.at(-1)!.id;
  }
  throw new Error(`reference folder ${id} never went idle`);
}

before(async () => {
  if (why) return;
  const t = await tempDir();
  cleanup = t.cleanup;
  dir = t.dir;
  ref = await startReference(path.join(dir, 'ref-home'));
  ours = await startServer();
  // The reference's settings, where they change what is compared.
  await ours.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ globalAnnounceEnabled: false, localAnnounceEnabled: false, relaysEnabled: false, listenAddresses: ['tcp://127.0.0.1:0'] }) });
});

after(async () => {
  await ref?.stop();
  await ours?.stop();
  await cleanup?.();
});

test('system/connections lists this device, unconnected, with at least 1.19.2 keys', opts, async () => {
  const mine = (await ours.json('/rest/system/connections')).connections;
  const theirs = (await ref.json('/rest/system/connections')).connections;
  assert.ok(ours.app.myId in mine);
  assert.ok(ref.myId in theirs);
  for (const k of Object.keys(theirs[ref.myId])) assert.ok(k in mine[ours.app.myId], `key ${k}`);
  const pick = (c: Record<string, unknown>) => [c.connected, c.paused, c.address, c.clientVersion, c.inBytesTotal, c.at];
  assert.deepEqual(pick(mine[ours.app.myId]), pick(theirs[ref.myId]));
});

test('the usage report of the same folders matches 1.19.2, section by section', opts, async () => {
  const reports: Record<string, Record<string, any>> = {};
  for (const side of ['ours', 'ref'] as const) {
    const root = path.join(dir, `report-${side}`);
    await fs.mkdir(path.join(root, 'two', '.marker'), { recursive: true });
    await reportFixture(root, async (id, p, extra) => {
      if (side === 'ours') return addFolder(ours, id, p, extra);
      await fs.mkdir(path.join(p, extra.markerName === '.marker' ? '.marker' : '.stfolder'), { recursive: true });
      const idle = refIdle(id);
      const r = await ref.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id, path: p, ...extra }) });
      assert.equal(r.status, 200, await r.text());
      await idle;
    });
    const r = side === 'ours' ? ours : ref;
    reports[side] = await r.json('/rest/svc/report?version=3');
  }
  const [m, t] = [reports.ours!, reports.ref!];
  // customReleaseURL is left out: 1.19.2 compares with a misspelt URL ("https=//…") and always says true; 1.27 fixed it.
  for (const k of ['numFolders', 'numDevices', 'totFiles', 'folderMaxFiles', 'totMiB', 'folderMaxMiB', 'urVersion', 'rescanIntvs', 'natType', 'progressEmitterEnabled', 'temporariesCustom', 'temporariesDisabled']) {
    assert.deepEqual(m[k], t[k], k);
  }
  for (const k of ['folderUses', 'deviceUsesV3', 'blockStats', 'ignoreStats', 'relays']) assert.deepEqual(m[k], t[k], k);
  // Differences that are settings, not counting: Synchro's default folder path is "" (1.19.2: "~"),
  // its test listener is on 127.0.0.1:0, and 1.19.2 still reports restartOnWakeup (removed in 1.27).
  const { sendonly, ...uses } = t.folderUsesV3;
  void sendonly;
  assert.deepEqual(Object.keys(m.folderUsesV3).sort(), Object.keys(uses).sort(), 'folderUsesV3 keys');
  for (const k of ['scanProgressDisabled', 'conflictsUnlimited', 'conflictsOther', 'fsWatcherEnabled', 'fsWatcherDelays', 'customMarkerName', 'pullOrder', 'filesystemType', 'blockPullOrder', 'copyRangeMethod', 'modTimeWindowS', 'maxConcurrentWrites']) {
    assert.deepEqual(m.folderUsesV3[k], t.folderUsesV3[k], `folderUsesV3.${k}`);
  }
  assert.deepEqual(Object.keys(m.guiStats), Object.keys(t.guiStats), 'guiStats keys');
  // uptime is left out while 0 (a server just started); customReleaseURL see above.
  const theirKeys = Object.keys(t).filter((k) => !['restartOnWakeup', 'customDefaultFolderPath', 'customReleaseURL', 'uptime', 'uniqueID', 'deviceUses', 'announce'].includes(k));
  assert.deepEqual(Object.keys(m).filter((k) => theirKeys.includes(k)), theirKeys.filter((k) => k in m), 'the same fields in the same order');
  for (const k of theirKeys) assert.ok(k in m, `field ${k}`);
  for (const v of [1, 2]) {
    const [mv, tv] = [await ours.json(`/rest/svc/report?version=${v}`), await ref.json(`/rest/svc/report?version=${v}`)];
    assert.deepEqual(Object.keys(mv).filter((k) => k in tv), Object.keys(tv).filter((k) => !['restartOnWakeup'].includes(k) && k in mv), `version ${v}: field order`);
    for (const k of Object.keys(tv)) if (!['uniqueID', 'deviceUses', 'announce', 'memoryUsageMiB', 'sha256Perf', 'hashPerf', 'uptime', 'longVersion', 'version'].includes(k)) assert.ok(k in mv, `version ${v}: ${k}`);
    for (const k of ['folderUses', 'folderUsesV3', 'guiStats', 'ignoreStats', 'totFiles', 'urVersion', 'numCPU']) assert.deepEqual(mv[k] === undefined, tv[k] === undefined, `version ${v}: ${k} present on both or neither`);
  }
});

test('system/browse: ~ and prefixes as 1.19.2; globs as the REST documentation describes', opts, async () => {
  const home = path.join(dir, 'browse-home');
  for (const d of ['Alpha', 'alps', 'beta', 'Beta2', 'l1b', 'lib', 'lib64']) await fs.mkdir(path.join(home, d), { recursive: true });
  await fs.writeFile(path.join(home, 'alfile'), '');
  const queries = ['', `${home}/`, `${home}/al`, `${home}/AL`, `${home}/b`, `${home}/nothing`, `${home}/nope/x`, '~', '/tm'];
  for (const q of queries) {
    const got = await Promise.all(sides().map(async (s) => (await s.req(`/rest/system/browse?current=${encodeURIComponent(q)}`)).json()));
    assert.deepEqual(got[0], got[1], `current=${q}`);
  }
  assert.deepEqual(await ours.json('/rest/system/browse?current=~'), [`${os.homedir()}/`], '~ is the home directory');
  // Syncthing's documentation: the path may use filepath.Match patterns. 1.19.2 (and 1.27) match a plain prefix only.
  assert.deepEqual(await ours.json(`/rest/system/browse?current=${encodeURIComponent(`${home}/l*b`)}`), [`${home}/l1b/`, `${home}/lib/`, `${home}/lib64/`]);
  assert.deepEqual(await ref.json(`/rest/system/browse?current=${encodeURIComponent(`${home}/l*b`)}`), [], '1.19.2 differs: no glob');
});

test('malformed JSON bodies: the same statuses and Go error texts', opts, async () => {
  const cases: [string, string, string][] = [
    ['POST', '/rest/config/folders', '{bad'],
    ['POST', '/rest/config/folders', '{"id": "x",}'],
    ['POST', '/rest/config/devices', '[1,'],
    ['POST', '/rest/config/devices', 'nul'],
    ['PUT', '/rest/config/options', '{"maxSendKbps": "x"}'],
    ['PATCH', '/rest/config/gui', '{"debugging": tru}'],
    ['POST', '/rest/db/ignores?folder=nope', '{"bad'],
    ['POST', '/rest/db/ignores?folder=nope', '{bad'],
    ['POST', '/rest/db/ignores?folder=nope', '{"ignore": 5}'],
    ['POST', '/rest/folder/versions?folder=nope', '{bad'],
    ['POST', '/rest/folder/versions?folder=nope', ''],
    ['POST', '/rest/system/error', ''],
  ];
  for (const [method, p, body] of cases) {
    const got = await Promise.all(
      sides().map(async (s) => {
        const r = await s.req(p, { method, body });
        return [r.status, await r.text()];
      }),
    );
    assert.deepEqual(got[0], got[1], `${method} ${p} ${body}`);
  }
});

test('system/log since a future time: messages null, as 1.19.2', opts, async () => {
  const q = '/rest/system/log?since=2099-01-01T00:00:00Z';
  assert.deepEqual(await ours.json(q), await ref.json(q));
  assert.deepEqual(await ours.json(q), { messages: null });
});

/** A PNG's size in pixels (from its IHDR). */
function pngSize(buf: Buffer): { width: number; height: number } {
  assert.equal(buf.subarray(1, 4).toString(), 'PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

test('/qr/ renders at the size Syncthing does for the same text', opts, async () => {
  // Byte, alphanumeric (a device ID) and numeric texts, and mixed ones that one mode must hold.
  for (const text of ['hello', ours.app.myId, 'x'.repeat(100), '12345678901234567890', 'ABC123abc', 'HELLO WORLD 123456789012345']) {
    const [m, t] = await Promise.all(sides().map(async (s) => Buffer.from(await (await s.req(`/qr/?text=${encodeURIComponent(text)}`)).arrayBuffer())));
    assert.deepEqual(pngSize(m!), pngSize(t!), text);
  }
});

test('/themes.json: the same shape; the bundled GUI has one theme', opts, async () => {
  const [m, t] = (await Promise.all(sides().map(async (s) => (await s.req('/themes.json')).json()))) as { themes: string[] }[];
  assert.deepEqual(Object.keys(m!), Object.keys(t!));
  assert.ok(Array.isArray(m!.themes) && m!.themes[0] === 'default' && t!.themes.includes('default'));
});

test('synchro cli POST db/scan --wait against Syncthing: its empty 200 is a success', opts, async () => {
  const root = path.join(dir, 'cli-scan');
  await fs.mkdir(path.join(root, '.stfolder'), { recursive: true });
  const idle = refIdle('cli');
  assert.equal((await ref.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'cli', path: root }) })).status, 200);
  await idle;
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: { write: (x: string) => out.push(x) }, stderr: { isTTY: false, write: (x: string) => err.push(x) }, env: {}, defaultHome: path.join(dir, 'no-home') };
  const code = await runCli(['--url', ref.base, '--api-key', ref.apiKey, 'POST', 'db/scan', 'folder=cli', '--wait'], io);
  assert.equal(code, 0, err.join(''));
  assert.equal(out.join(''), '');
  // An error answer is still an error.
  assert.equal(await runCli(['--url', ref.base, '--api-key', ref.apiKey, 'POST', 'db/scan', 'folder=nope', '--wait'], io), 1);
});
