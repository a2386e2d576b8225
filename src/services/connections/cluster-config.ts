import type { Configuration, DeviceConfiguration } from '../../config/types.js';
import { DeviceCompression, type ClusterConfig, type Device, type Folder } from '../../bep/messages.js';
import { deviceIdBytes } from '../../shared/device-id.js';

const COMPRESSION: Record<string, number> = { metadata: DeviceCompression.Metadata, never: DeviceCompression.Never, always: DeviceCompression.Always };
const NONE = new Uint8Array(0);

/** What the index says about one folder for one device (zeros until index exchange exists). */
export interface IndexInfo {
  indexId(folder: string, device: string): bigint;
  maxSequence(folder: string, device: string): number;
}

const noIndex: IndexInfo = { indexId: () => 0n, maxSequence: () => 0 };

function deviceEntry(cfg: Readonly<Configuration>, id: string, folder: string, index: IndexInfo): Device {
  const d: DeviceConfiguration | undefined = cfg.devices.find((x) => x.deviceID === id);
  return {
    id: deviceIdBytes(id),
    name: d?.name ?? '',
    addresses: d?.addresses ?? [],
    compression: COMPRESSION[d?.compression ?? 'metadata'] ?? DeviceCompression.Metadata,
    certName: d?.certName ?? '',
    maxSequence: index.maxSequence(folder, id),
    introducer: d?.introducer ?? false,
    indexId: index.indexId(folder, id),
    skipIntroductionRemovals: d?.skipIntroductionRemovals ?? false,
    encryptionPasswordToken: NONE,
  };
}

/**
 * Our ClusterConfig for `device` (bep.md §1.6–1.7): every folder we share with it, each listing
 * every device it is shared with (ours and theirs included, which 1.19.2 requires), a send-only
 * folder as read_only and a paused one as paused.
 */
export function clusterConfigFor(cfg: Readonly<Configuration>, device: string, index: IndexInfo = noIndex): ClusterConfig {
  const folders: Folder[] = [];
  for (const f of cfg.folders) {
    if (!f.devices.some((d) => d.deviceID === device)) continue;
    folders.push({
      id: f.id,
      label: f.label,
      type: f.type === 'sendonly' ? 1 : 0,
      ignorePermissions: f.ignorePerms,
      ignoreDelete: f.ignoreDelete,
      disableTempIndexes: f.disableTempIndexes,
      stopReason: f.paused ? 1 : 0,
      devices: f.devices.map((d) => deviceEntry(cfg, d.deviceID, f.id, index)),
    });
  }
  return { folders, secondary: false };
}
