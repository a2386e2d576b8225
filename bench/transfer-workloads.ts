import fs from 'node:fs';
import path from 'node:path';
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
  /** CPU seconds each side used from the start of the clock to the end. */
  senderCpuS: number;
  receiverCpuS: number;
}

const REPORTING = '/sys/module/page_reporting/parameters/min_free_ms';

/**
 * A warning when this VM hands freed memory back to its host at once (free page reporting with
 * min_free_ms 0): then a receiver that writes at 200 MiB/s pays 2 s of system time per GiB it
 * writes, one at full speed 0.3 s (measured here), so the slower receiver pays more still and the
 * transfer rows measure the VM as much as the programs. `echo 30000 > ${REPORTING}` (as root) for
 * the length of the run makes them compare the programs.
 */
export function pageReportingNote(): string | undefined {
  let ms: string;
  try {
    ms = fs.readFileSync(REPORTING, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (Number(ms) >= 10_000) return undefined;
  return `free memory goes back to the VM's host after ${ms} ms: transfer rows will carry the cost of touching it again (see bench/transfer-workloads.ts; 'echo 30000 > ${REPORTING}' as root evens it out)`;
}

/**
 * Writes and deletes `bytes` of scratch data beside `dir`, just before a clock starts. On this kind
 * of VM, memory the guest frees is soon handed back to the host, and the first write into it costs
 * several times the CPU of a write into memory freed a moment ago (1 GiB: 3.6 s of system time
 * against 0.4 s, measured with a plain Node writer). Whoever receives first after a pause would
 * pay that; warming the pages first gives both receivers the same footing.
 */
function warmPageCache(dir: string, bytes: number): void {
  if (bytes < 64 << 20) return;
  const scratch = path.join(path.dirname(dir), `.warm-${process.pid}`);
  const chunk = Buffer.alloc(8 << 20, 1);
  const fd = fs.openSync(scratch, 'w');
  try {
    for (let at = 0; at < bytes; at += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - at), at);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(scratch, { force: true });
  }
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
  warmPageCache(emptyDir, bytes);
  const rssIdleMiB = watched.rssMiB();
  let peak = rssIdleMiB;
  const cpu0 = [sender.cpuS(), receiver.cpuS()];
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
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, rssGrowthMiB: Math.max(0, peak - rssIdleMiB), rssIdleMiB, senderCpuS: sender.cpuS() - cpu0[0]!, receiverCpuS: receiver.cpuS() - cpu0[1]! };
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
