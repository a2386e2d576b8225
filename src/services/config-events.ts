import type { ConfigSubscriber } from '../config/config-store.js';
import type { Configuration } from '../config/types.js';
import type { EventSink } from '../events/types.js';

/**
 * Emits the events that follow from configuration changes alone: FolderPaused/FolderResumed and
 * DevicePaused/DeviceResumed when a `paused` flag flips (however it was changed: whole-config PUT,
 * PATCH of one object, or /rest/system/pause).
 */
export function configEvents(events: EventSink): ConfigSubscriber {
  return {
    commit(next: Readonly<Configuration>, prev: Readonly<Configuration>) {
      const prevFolders = new Map(prev.folders.map((f) => [f.id, f]));
      for (const f of next.folders) {
        const before = prevFolders.get(f.id);
        if (before && before.paused !== f.paused) {
          events.append(f.paused ? 'FolderPaused' : 'FolderResumed', { id: f.id, label: f.label });
        }
      }
      const prevDevices = new Map(prev.devices.map((d) => [d.deviceID, d]));
      for (const d of next.devices) {
        const before = prevDevices.get(d.deviceID);
        if (before && before.paused !== d.paused) events.append(d.paused ? 'DevicePaused' : 'DeviceResumed', { device: d.deviceID });
      }
    },
  };
}

/**
 * Settings that only take effect after a restart. Syncthing 1.19 flags databaseTuning; we open
 * the index with the tuning read at start, so the same holds here. The flag stays set (sticky)
 * until the process restarts.
 */
export function restartRequiredTracker(): ConfigSubscriber {
  return {
    commit(next, prev) {
      return next.options.databaseTuning !== prev.options.databaseTuning;
    },
  };
}
