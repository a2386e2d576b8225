import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { freePort, prepareReferenceHome, referenceUnavailable, startReference, type Reference, type ReferenceOptions } from '../support/syncthing-ref.js';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

/** Helpers for tests that connect Synchro to a real Syncthing 1.19.2 (inside the loopback-only namespace). */

export const skipReason = referenceUnavailable();

type T = { after: (fn: () => Promise<void> | void) => void };

export interface Pair {
  s: TestServer;
  ref: Reference;
  refId: string;
  dir: string;
  /** Where Synchro listens for devices (tcp://127.0.0.1:PORT). */
  synchroAddress: string;
}

/**
 * A Synchro and a Syncthing that know each other. `synchroDials`: Synchro has Syncthing's address;
 * `refDials`: Syncthing has Synchro's. Folders are given to Syncthing as RefFolder specs.
 */
export async function pair(
  t: T,
  o: { synchroDials?: boolean; refDials?: boolean; ref?: Omit<ReferenceOptions, 'devices'>; synchroKnowsRef?: boolean; refKnowsSynchro?: boolean; name?: string; realPings?: boolean; home?: string } = {},
): Promise<Pair> {
  const { dir, cleanup } = await tempDir();
  // One hook, in order: both devices stop before their folders are removed (a puller may still be writing).
  let stopRef = async () => {};
  let stopSynchro = async () => {};
  t.after(async () => {
    await stopRef();
    await stopSynchro();
    await cleanup();
  });
  // Pings every 2 s unless the real interval (90 s) is what is being tested.
  const s = await startServer({ ...(o.realPings ? {} : { syncTimers: { pingIntervalMs: 2000 } }), ...(o.home ? { home: o.home } : {}) });
  stopSynchro = () => s.stop();
  const synchroAddress = s.app.connections.listening[0]!;
  // Redials every second, as the reference does: a dial that comes before the other side listens is retried soon.
  await s.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ reconnectionIntervalS: 1 }) });
  const refHome = path.join(dir, 'ref');
  const refId = await prepareReferenceHome(refHome);
  const syncPort = await freePort();
  const refAddress = `tcp://127.0.0.1:${syncPort}`;
  // Each side knows the other before either dials, so no first attempt meets an unknown device.
  if (o.synchroKnowsRef !== false) {
    const res = await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: refId, name: 'reference', addresses: o.synchroDials ? [refAddress] : ['dynamic'] }) });
    if (res.status !== 200) throw new Error(`adding the reference device: ${res.status} ${await res.text()}`);
  }
  const ref = await startReference(refHome, {
    name: 'reference',
    syncPort,
    ...o.ref,
    devices: o.refKnowsSynchro === false ? [] : [{ id: s.app.myId, name: 'synchro', addresses: o.refDials ? [synchroAddress] : ['dynamic'] }],
  });
  stopRef = () => ref.stop();
  await fs.mkdir(path.join(dir, 'sy'), { recursive: true });
  return { s, ref, refId, dir, synchroAddress };
}

/** Polls `fn` until it returns something truthy (a state reached through the APIs), failing after `ms`. */
export async function until<V>(what: string, fn: () => Promise<V | undefined | false | null>, ms = 20_000): Promise<V> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function synchroSees(p: Pair, connected = true): Promise<any> {
  return until(`Synchro to see the reference ${connected ? 'connected' : 'disconnected'}`, async () => {
    const c = (await p.s.json('/rest/system/connections')).connections[p.refId];
    return c && c.connected === connected ? c : undefined;
  });
}

export async function refSees(p: Pair, connected = true): Promise<any> {
  return until(`the reference to see Synchro ${connected ? 'connected' : 'disconnected'}`, async () => {
    const c = (await p.ref.json<any>('/rest/system/connections')).connections[p.s.app.myId];
    return c && c.connected === connected ? c : undefined;
  });
}

/** Events of the reference of `type` after id `since` (its default event stream). */
export async function refEvents(ref: Reference, since: number, type?: string): Promise<any[]> {
  const evs = (await ref.json<any[]>(`/rest/events?since=${since}&timeout=0`)) ?? [];
  return type ? evs.filter((e) => e.type === type) : evs;
}

export async function lastRefEventId(ref: Reference): Promise<number> {
  const evs = (await ref.json<any[]>('/rest/events?since=0&timeout=0')) ?? [];
  return evs.length ? evs.at(-1).id : 0;
}

/** Shares folder `id` at `dir` on the reference with Synchro (send-receive, no watcher, hourly rescans unless `extra` says). */
export async function refFolder(p: Pair, id: string, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  const body = { id, label: id, path: dir, type: 'sendreceive', rescanIntervalS: 3600, fsWatcherEnabled: false, devices: [{ deviceID: p.refId }, { deviceID: p.s.app.myId }], ...extra };
  const r = await p.ref.req('/rest/config/folders', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 200, await r.text());
}

/** Syncthing's folder idle with nothing needed and the global state it should have. */
export async function refInSync(ref: Reference, folder: string, want: (st: any) => boolean, ms = 120_000): Promise<any> {
  return until(`the reference's ${folder} in sync`, async () => {
    const st = await ref.json<any>(`/rest/db/status?folder=${folder}`).catch(() => undefined);
    return st && st.state === 'idle' && st.needTotalItems === 0 && want(st) ? st : undefined;
  }, ms);
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Synchro's folder idle, nothing needed, and its status as `want` says. */
export async function synchroInSync(s: TestServer, folder: string, want: (st: any) => boolean = () => true, ms = 120_000): Promise<any> {
  return until(`Synchro's ${folder} in sync`, async () => {
    const st = await s.json(`/rest/db/status?folder=${folder}`).catch(() => undefined);
    return st && st.state === 'idle' && st.needTotalItems === 0 && want(st) ? st : undefined;
  }, ms);
}

