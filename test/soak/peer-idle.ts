import fs from 'node:fs/promises';
import path from 'node:path';
import { pair, synchroSees, refSees } from '../peers/peer-kit.js';
import { referenceUnavailable } from '../support/syncthing-ref.js';
import { projectRoot } from '../support/test-server.js';

/**
 * `npm run soak:peers`: Synchro connected to a real Syncthing 1.19.2 and left idle for
 * SOAK_SECONDS (default 600, past Syncthing's 300 s receive timeout twice): no disconnect may
 * happen on either side, and Syncthing's log must show no connection problem. Writes
 * test-output/soak/peer-idle.json.
 */

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const why = referenceUnavailable();
if (why) {
  console.error(`peer soak: ${why}`);
  process.exit(2);
}
const afters: (() => unknown)[] = [];
// Default ping timing: the point is to outlast Syncthing's 300 s receive timeout as users will.
const p = await pair({ after: (fn) => void afters.push(fn) }, { synchroDials: true, refDials: true, realPings: true });
try {
  const start = await synchroSees(p);
  const theirsStart = await refSees(p);
  const t0 = Date.now();
  const samples: { s: number; inBytes: number; outBytes: number }[] = [];
  while (Date.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 10_000));
    const c = (await p.s.json('/rest/system/connections')).connections[p.refId];
    samples.push({ s: Math.round((Date.now() - t0) / 1000), inBytes: c.inBytesTotal, outBytes: c.outBytesTotal });
    if (!c.connected) break;
  }
  const ours = (await p.s.json('/rest/events?since=0&timeout=0')).filter((e: { type: string }) => e.type === 'DeviceDisconnected');
  const end = (await p.s.json('/rest/system/connections')).connections[p.refId];
  const theirsEnd = (await p.ref.json<any>('/rest/system/connections')).connections[p.s.app.myId];
  const summary = {
    seconds,
    disconnectsSeenBySynchro: ours.length,
    sameConnection: end.connected && end.startedAt === start.startedAt && theirsEnd.connected && theirsEnd.startedAt === theirsStart.startedAt,
    syncthingProblems: p.ref.connectionProblems(),
    pingsSent: { bytesToSyncthing: end.outBytesTotal - start.outBytesTotal, bytesFromSyncthing: end.inBytesTotal - start.inBytesTotal },
    samples,
  };
  const out = path.join(projectRoot, 'test-output', 'soak');
  await fs.mkdir(out, { recursive: true });
  await fs.writeFile(path.join(out, 'peer-idle.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(JSON.stringify({ ...summary, samples: summary.samples.length }, null, 2));
  const ok = summary.disconnectsSeenBySynchro === 0 && summary.sameConnection && summary.syncthingProblems.length === 0;
  process.exitCode = ok ? 0 : 1;
} finally {
  for (const f of afters.reverse()) await f();
}
