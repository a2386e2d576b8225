import type { EventSink } from '../events/types.js';

/**
 * Devices and folders that remote peers have offered. Synchro has no peer connections yet, so the
 * maps stay empty; dismissing still answers and emits the events Syncthing emits, so clients that
 * dismiss entries behave the same.
 */
export class PendingService {
  private devices = new Map<string, { time: string; name: string; address: string }>();
  private folders = new Map<string, Map<string, { time: string; label: string; receiveEncrypted: boolean; remoteEncrypted: boolean }>>();

  constructor(private readonly events: EventSink) {}

  pendingDevices(): Record<string, { time: string; name: string; address: string }> {
    return Object.fromEntries([...this.devices].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** Folders offered, optionally only those offered by `device` (canonical ID, "" = all). */
  pendingFolders(device: string): Record<string, { offeredBy: Record<string, unknown> }> {
    const out: Record<string, { offeredBy: Record<string, unknown> }> = {};
    for (const [folder, by] of [...this.folders].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const offeredBy = Object.fromEntries([...by].filter(([d]) => device === '' || d === device));
      if (Object.keys(offeredBy).length) out[folder] = { offeredBy };
    }
    return out;
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
    }
    this.events.append('PendingFoldersChanged', { removed: [device === '' ? { folderID: folder } : { folderID: folder, deviceID: device }] });
  }
}
