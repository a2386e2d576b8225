import { Flag, INVALID_FLAGS, blockCount, type FileInfo } from '../shared/file-info.js';
import { shortIdText } from '../shared/device-id.js';
import { formatTimeNs } from '../shared/time-format.js';
import type { TreeNode } from '../services/folder-service.js';

const TYPE: Record<number, string> = { 0: 'FILE_INFO_TYPE_FILE', 1: 'FILE_INFO_TYPE_DIRECTORY', 4: 'FILE_INFO_TYPE_SYMLINK' };
const INTERNAL_BITS = Flag.Global | Flag.Needed;

const b64 = (v: Uint8Array | undefined) => (v ? Buffer.from(v).toString('base64') : null);

/** A FileInfo as Syncthing's API prints it (a Go map, so the keys are sorted). */
export function fileInfoJson(f: FileInfo): Record<string, unknown> {
  const flags = f.localFlags & ~INTERNAL_BITS;
  const out: Record<string, unknown> = {
    blocksHash: b64(f.blocksHash),
    deleted: f.deleted,
    ignored: (flags & Flag.Ignored) !== 0,
    invalid: (flags & INVALID_FLAGS) !== 0,
    localFlags: flags,
    modified: formatTimeNs(f.modifiedNs),
    modifiedBy: shortIdText(f.modifiedBy),
    mustRescan: (flags & Flag.MustRescan) !== 0,
    name: f.name,
    noPermissions: f.noPermissions,
    numBlocks: blockCount(f),
  };
  if (f.permissions) out.permissions = '0' + f.permissions.toString(8).padStart(3, '0');
  Object.assign(out, {
    platform: { Darwin: null, FreeBSD: null, Linux: null, NetBSD: null, Unix: null, Windows: null },
    previousBlocksHash: b64(f.previousBlocksHash),
    sequence: f.sequence,
    size: f.size,
    type: TYPE[f.type] ?? 'FILE_INFO_TYPE_FILE',
    version: f.version.map(([id, n]) => `${shortIdText(id)}:${n}`),
  });
  return out;
}

/** A /rest/db/browse entry: Go struct order name, modTime, size, type, then children when present. */
export function treeJson(n: TreeNode): Record<string, unknown> {
  const out: Record<string, unknown> = { name: n.name, modTime: formatTimeNs(n.modifiedNs), size: n.size, type: TYPE[n.type] ?? 'FILE_INFO_TYPE_FILE' };
  // Go's omitempty: an empty directory has no children key.
  if (n.children && n.children.length > 0) out.children = n.children.map(treeJson);
  return out;
}
