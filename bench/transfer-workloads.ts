import fs from 'node:fs';
import type { Server } from './servers.js';
import { api, myId, putFolder, untilScanned } from './index-workloads.js';
import { listenOnLoopback } from './peers-workloads.js';

/**
 * File transfers, measured the same way whoever sends: the sender (Synchro or Syncthing) holds a
 * scanned folder; a fresh Syncthing with an empty send-receive folder is given the sender's
 * address, and the clock runs until that Syncthing is idle with every file and byte. The sender's
 * RSS is sampled meanwhile, its peak reported above its level just before.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TransferTiming {
  seconds: number;
  /** Peak RSS of the watched side (the sender unless said) during the transfer minus its RSS just before, MiB. */
  rssGrowthMiB: number;
  rssIdleMiB: number;
}

/**
 * `sender` shares `dir` (`files` files, `bytes` bytes) as folder `folder` with `receiver`, a fresh
 * Syncthing whose copy goes to `emptyDir`; seconds from the receiver learning the sender's address
 * until it holds everything.
 */
export async function transfer(sender: Server, receiver: Server, folder: string, dir: string, files: number, bytes: number, emptyDir: string, limitS = 1800, watch: 'sender' | 'receiver' = 'sender'): Promise<TransferTiming> {
  const watched = watch === 'sender' ? sender : receiver;
  fs.rmSync(emptyDir, { recursive: true, force: true });
  fs.mkdirSync(emptyDir, { recursive: true });
  const [is, ir] = [await myId(sender), await myId(receiver)];
  const addr = await listenOnLoopback(sender);
  await listenOnLoopback(receiver);
  await api(sender, '/rest/config/devices', 'POST', { deviceID: ir, name: 'receiver', addresses: ['dynamic'] });
  const f = (path: string, type: string) => ({ id: folder, label: folder, path, type, rescanIntervalS: 0, fsWatcherEnabled: false, devices: [{ deviceID: is }, { deviceID: ir }] });
  await putFolder(sender, f(dir, 'sendonly'));
  await untilScanned(sender, folder, files);
  await api(receiver, '/rest/config/devices', 'POST', { deviceID: is, name: 'sender', addresses: ['dynamic'] });
  await putFolder(receiver, f(emptyDir, 'sendreceive'));
  await sleep(1000);
  const rssIdleMiB = watched.rssMiB();
  let peak = rssIdleMiB;
  const t0 = performance.now();
  await api(receiver, `/rest/config/devices/${is}`, 'PATCH', { addresses: [addr] });
  for (let last = 0; ; await sleep(100)) {
    if (performance.now() - last > 250) {
      peak = Math.max(peak, watched.rssMiB());
      last = performance.now();
    }
    const st = await api(receiver, `/rest/db/status?folder=${folder}`).catch(() => undefined);
    if (st && st.state === 'idle' && st.localFiles >= files && st.localBytes >= bytes && st.needTotalItems === 0) break;
    if ((performance.now() - t0) / 1000 > limitS) throw new Error(`${receiver.name}: ${folder} has ${st?.localFiles} of ${files} files after ${limitS} s`);
  }
  return { seconds: (performance.now() - t0) / 1000, rssGrowthMiB: Math.max(0, peak - rssIdleMiB), rssIdleMiB };
}

/**
 * After `transfer`: the sender renames `from` to `to` in `dir` and rescans; seconds until the
 * receiver holds the new name and not the old one.
 */
export async function renameTime(sender: Server, receiver: Server, folder: string, dir: string, from: string, to: string, limitS = 600): Promise<number> {
  const t0 = performance.now();
  fs.renameSync(`${dir}/${from}`, `${dir}/${to}`);
  await api(sender, `/rest/db/scan?folder=${folder}`, 'POST');
  for (;;) {
    const [a, b] = await Promise.all([api(receiver, `/rest/db/file?folder=${folder}&file=${encodeURIComponent(to)}`).catch(() => undefined), api(receiver, `/rest/db/status?folder=${folder}`).catch(() => undefined)]);
    if (a?.local && !a.local.deleted && b?.state === 'idle' && b.needTotalItems === 0) return (performance.now() - t0) / 1000;
    if ((performance.now() - t0) / 1000 > limitS) throw new Error(`${receiver.name}: ${to} not there after ${limitS} s`);
    await sleep(50);
  }
}
