import path from 'node:path';
import { AppError, messageOf } from '../shared/errors.js';
import { randomToken } from '../shared/random.js';
import { normalizeBaseUrl } from './base-url.js';
import { defaultsOf, DEVICE, FOLDER_DEVICE } from './schema.js';
import type { Configuration, DeviceConfiguration, FolderConfiguration, FolderDeviceConfiguration } from './types.js';

/**
 * Syncthing's "prepare" step, run on every new configuration before it is accepted: rejects what
 * cannot work and normalises the rest so that equal meanings compare equal.
 */

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Compares two canonical device IDs by their bytes (base32 digit order, check characters skipped). */
export function compareDeviceIds(a: string, b: string): number {
  const digits = (id: string): number[] => {
    const plain = id.replace(/-/g, '');
    const out: number[] = [];
    for (let i = 0; i < plain.length; i++) if (i % 14 !== 13) out.push(B32.indexOf(plain[i]!));
    return out;
  };
  const da = digits(a);
  const db = digits(b);
  for (let i = 0; i < Math.min(da.length, db.length); i++) if (da[i] !== db[i]) return da[i]! - db[i]!;
  return da.length - db.length;
}

const MAX_RESCAN_S = 365 * 24 * 3600;

function prepareFolderDevices(list: FolderDeviceConfiguration[], myId: string): FolderDeviceConfiguration[] {
  const seen = new Map<string, FolderDeviceConfiguration>();
  for (const d of list) if (d.deviceID && !seen.has(d.deviceID)) seen.set(d.deviceID, d);
  if (!seen.has(myId)) seen.set(myId, { ...(defaultsOf(FOLDER_DEVICE) as unknown as FolderDeviceConfiguration), deviceID: myId });
  return [...seen.values()].sort((x, y) => compareDeviceIds(x.deviceID, y.deviceID));
}

/** Syncthing 1.x kept the staggered versioner's interval and path in params; they are fields now. */
function migrateStaggeredParams(v: FolderConfiguration['versioning']): void {
  if (v.type !== 'staggered') return;
  const { cleanInterval, versionsPath, ...rest } = v.params;
  if (cleanInterval === undefined && versionsPath === undefined) return;
  if (cleanInterval !== undefined && /^\d+$/.test(cleanInterval.trim())) v.cleanupIntervalS = Number(cleanInterval.trim());
  if (versionsPath !== undefined && v.fsPath === '') v.fsPath = versionsPath;
  v.params = rest;
}

function prepareFolder(f: FolderConfiguration, myId: string, knownDevices: Set<string> | undefined): void {
  if (knownDevices) f.devices = f.devices.filter((d) => knownDevices.has(d.deviceID) || d.deviceID === myId);
  f.devices = prepareFolderDevices(f.devices, myId);
  f.rescanIntervalS = Math.min(Math.max(f.rescanIntervalS, 0), MAX_RESCAN_S);
  if (f.fsWatcherDelayS <= 0) {
    f.fsWatcherEnabled = false;
    f.fsWatcherDelayS = 10;
  }
  migrateStaggeredParams(f.versioning);
  f.versioning.cleanupIntervalS = Math.min(Math.max(f.versioning.cleanupIntervalS, 0), MAX_RESCAN_S);
  if (f.markerName === '') f.markerName = '.stfolder';
  if (f.type === 'receiveencrypted') f.ignorePerms = true;
}

function prepareDevice(d: DeviceConfiguration): void {
  if (d.addresses.length === 0) d.addresses = ['dynamic'];
}

/** Normalises `cfg` in place; throws AppError('invalid') with Syncthing's message when it cannot be used. */
export function prepareConfig(cfg: Configuration, myId: string, hostname: string): void {
  const ids = new Set<string>();
  for (const f of cfg.folders) {
    if (f.id === '') throw new AppError('rejected', 'folder has empty ID');
    if (ids.has(f.id)) throw new AppError('rejected', `folder "${f.id}": folder has duplicate ID`);
    ids.add(f.id);
    if (f.path === '') throw new AppError('rejected', `folder "${f.id}": folder has empty path`);
    if (!path.isAbsolute(f.path) && f.path !== '~' && !f.path.startsWith('~/')) {
      throw new AppError('rejected', `folder "${f.id}": folder path must be absolute (or start with ~)`);
    }
  }

  const devices = new Map<string, DeviceConfiguration>();
  for (const d of cfg.devices) if (d.deviceID && !devices.has(d.deviceID)) devices.set(d.deviceID, d);
  if (!devices.has(myId)) {
    devices.set(myId, { ...(defaultsOf(DEVICE) as unknown as DeviceConfiguration), deviceID: myId, name: hostname });
  }
  cfg.devices = [...devices.values()].sort((a, b) => compareDeviceIds(a.deviceID, b.deviceID));
  cfg.devices.forEach(prepareDevice);

  const known = new Set(devices.keys());
  for (const f of cfg.folders) prepareFolder(f, myId, known);
  cfg.folders.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  cfg.defaults.folder.devices = prepareFolderDevices(cfg.defaults.folder.devices, myId);
  prepareDevice(cfg.defaults.device);

  if (cfg.gui.apiKey === '') cfg.gui.apiKey = randomToken(32);
  if (!cfg.gui.sessionCookiePath.startsWith('/')) cfg.gui.sessionCookiePath = '/' + cfg.gui.sessionCookiePath;
  try {
    const base = normalizeBaseUrl(cfg.gui.baseUrl);
    cfg.gui.baseUrl = base === '/' ? '' : base;
  } catch (err) {
    throw new AppError('rejected', `gui: ${messageOf(err)}`);
  }
}
