import { Flag, INVALID_FLAGS } from '../shared/file-info.js';

/** Totals of one counter set (Syncthing's Counts). */
export interface Counts {
  files: number;
  directories: number;
  symlinks: number;
  deleted: number;
  bytes: number;
}

export interface FolderCounts {
  local: Counts;
  global: Counts;
  need: Counts;
  receiveOnlyChanged: Counts;
}

export interface Bucket {
  device: number;
  type: number;
  flags: number;
  deleted: boolean;
  count: number;
  size: number;
}

const zero = (): Counts => ({ files: 0, directories: 0, symlinks: 0, deleted: 0, bytes: 0 });

function add(c: Counts, b: Bucket): void {
  if (b.deleted) c.deleted += b.count;
  else {
    if (b.type === 0) c.files += b.count;
    else if (b.type === 1) c.directories += b.count;
    else c.symlinks += b.count;
    c.bytes += b.size;
  }
}

/**
 * Turns counter buckets into Syncthing's counter sets (spec index §1.7): local excludes ignored
 * rows but keeps receive-only and must-rescan ones; global is the Global rows that are valid;
 * need is the Needed rows; deleted rows count as deleted with no bytes.
 */
export function summarize(buckets: Bucket[], localDevice: number): FolderCounts {
  const out: FolderCounts = { local: zero(), global: zero(), need: zero(), receiveOnlyChanged: zero() };
  for (const b of buckets) {
    if (b.count === 0) continue;
    if (b.device === localDevice && !(b.flags & Flag.Ignored)) add(out.local, b);
    if (b.flags & Flag.Global && !(b.flags & INVALID_FLAGS)) add(out.global, b);
    if (b.flags & Flag.Needed) add(out.need, b);
    if (b.device === localDevice && b.flags & Flag.ReceiveOnly) add(out.receiveOnlyChanged, b);
  }
  return out;
}

export const totalItems = (c: Counts): number => c.files + c.directories + c.symlinks + c.deleted;
