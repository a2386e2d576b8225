import type { EventSink } from '../events/types.js';
import { formatTimeSeconds } from '../shared/time-format.js';

export interface PendingDevice {
  time: string;
  name: string;
  address: string;
}

export interface PendingFolder {
  time: string;
  label: string;
  receiveEncrypted: boolean;
  remoteEncrypted: boolean;
}

/** Entries kept at most (each list): an unknown device that keeps calling cannot grow memory. */
const MAX_ENTRIES = 256;

/**
 * Devices and folders that remote peers have offered: devices that connected without being
 * configured, folders a configured device announced that are not shared with it. Kept in memory
 * (a device that is still there offers itself again at its next connection attempt); each change
 * emits PendingDevicesChanged / PendingFoldersChanged as Syncthing does.
 */
export class PendingService {
  private devices = new Map<string, PendingDevice>();
  private folders = new Map<string, Map<string, PendingFolder>>();

  constructor(
    private readonly events: EventSink,
    private readonly nowMs: () => number = Date.now,
  ) {}

  pendingDevices(): Record<string, PendingDevice> {
    return Object.fromEntries([...this.devices].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** Folders offered, optionally only those offered by `device` (canonical ID, "" = all). */
  pendingFolders(device: string): Record<string, { offeredBy: Record<string, PendingFolder> }> {
    const out: Record<string, { offeredBy: Record<string, PendingFolder> }> = {};
    for (const [folder, by] of [...this.folders].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const offeredBy = Object.fromEntries([...by].filter(([d]) => device === '' || d === device).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (Object.keys(offeredBy).length) out[folder] = { offeredBy };
    }
    return out;
  }

  /** A device not in the configuration connected; true when it is new (the events then go out). */
  addDevice(device: string, name: string, address: string): boolean {
    const had = this.devices.get(device);
    const entry = { time: formatTimeSeconds(this.nowMs()), name, address };
    this.devices.delete(device);
    this.devices.set(device, entry);
    if (this.devices.size > MAX_ENTRIES) this.devices.delete(this.devices.keys().next().value as string);
    if (had && had.name === name && had.address === address) return false;
    this.events.append('PendingDevicesChanged', { added: [{ address, deviceID: device, name }] });
    return true;
  }

  /** A configured device offered a folder we do not share with it; true when the offer is new. */
  addFolder(folder: string, device: string, label: string, receiveEncrypted = false, remoteEncrypted = false): boolean {
    let by = this.folders.get(folder);
    if (!by) {
      if (this.folders.size >= MAX_ENTRIES) this.folders.delete(this.folders.keys().next().value as string);
      this.folders.set(folder, (by = new Map()));
    }
    const had = by.get(device);
    by.set(device, { time: formatTimeSeconds(this.nowMs()), label, receiveEncrypted, remoteEncrypted });
    if (had && had.label === label) return false;
    this.events.append('PendingFoldersChanged', { added: [{ deviceID: device, folderID: folder, folderLabel: label, receiveEncrypted, remoteEncrypted }] });
    return true;
  }

  /** Forgets offers that are no longer pending (the device or the sharing got configured). */
  forget(isPending: { device(id: string): boolean; folder(folder: string, device: string): boolean }): void {
    const goneDevices = [...this.devices.keys()].filter((d) => !isPending.device(d));
    for (const d of goneDevices) this.devices.delete(d);
    if (goneDevices.length) this.events.append('PendingDevicesChanged', { removed: goneDevices.map((deviceID) => ({ deviceID })) });
    const goneFolders: { folderID: string; deviceID: string }[] = [];
    for (const [folder, by] of this.folders) {
      for (const d of [...by.keys()]) {
        if (isPending.folder(folder, d)) continue;
        by.delete(d);
        goneFolders.push({ folderID: folder, deviceID: d });
      }
      if (by.size === 0) this.folders.delete(folder);
    }
    if (goneFolders.length) this.events.append('PendingFoldersChanged', { removed: goneFolders });
  }

  dismissDevice(device: string): void {
    this.devices.delete(device);
    this.events.append('PendingDevicesChanged', { removed: [{ deviceID: device }] });
  }

  dismissFolder(folder: string, device: string): void {
    const by = this.folders.get(folder);
    if (by) {
      if (device === '') this.folders.delete(folder);
      else by.delete(device);
      if (by.size === 0) this.folders.delete(folder);
    }
    this.events.append('PendingFoldersChanged', { removed: [device === '' ? { folderID: folder } : { folderID: folder, deviceID: device }] });
  }
}
