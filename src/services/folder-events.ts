import type { EventSink } from '../events/types.js';
import { shortIdText } from '../shared/device-id.js';
import { FileType, INVALID_FLAGS, type FileInfo } from '../shared/file-info.js';

const TYPE_NAMES: Record<number, string> = { [FileType.File]: 'file', [FileType.Directory]: 'dir', [FileType.Symlink]: 'symlink' };

/**
 * The events of one committed batch, in Syncthing's order: LocalIndexUpdated first, then one
 * LocalChangeDetected (RemoteChangeDetected for what the puller wrote) per valid item (ignored
 * and receive-only records announce nothing). Map-shaped payloads have their keys sorted, as Go
 * prints maps.
 */
export function emitBatchEvents(
  events: EventSink,
  folder: { id: string; label: string },
  files: FileInfo[],
  sequence: number,
  kind: 'LocalChangeDetected' | 'RemoteChangeDetected' = 'LocalChangeDetected',
): void {
  events.append('LocalIndexUpdated', { filenames: files.map((f) => f.name), folder: folder.id, items: files.length, sequence, version: sequence });
  for (const f of files) {
    if (f.localFlags & INVALID_FLAGS) continue;
    events.append(kind, {
      action: f.deleted ? 'deleted' : 'modified',
      folder: folder.id,
      folderID: folder.id,
      label: folder.label,
      modifiedBy: shortIdText(f.modifiedBy),
      path: f.name,
      type: TYPE_NAMES[f.type] ?? 'file',
    });
  }
}
