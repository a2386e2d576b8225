import { totalItems, type FolderCounts } from '../index/counts.js';
import { formatTimeSeconds, ZERO_TIME } from '../shared/time-format.js';

export interface SummaryInput {
  counts: FolderCounts;
  state: string;
  stateChangedMs: number;
  error: string;
  errors: number;
  sequence: number;
  ignorePatterns: boolean;
  watchError: string;
}

/**
 * The FolderSummary object of /rest/db/status and the FolderSummary event, with Syncthing v2's
 * fields in declaration order (every key always present).
 */
export function folderSummary(s: SummaryInput): Record<string, unknown> {
  const { local, global, need, receiveOnlyChanged: ro } = s.counts;
  return {
    errors: s.errors,
    pullErrors: s.errors,
    invalid: '',
    globalFiles: global.files,
    globalDirectories: global.directories,
    globalSymlinks: global.symlinks,
    globalDeleted: global.deleted,
    globalBytes: global.bytes,
    globalTotalItems: totalItems(global),
    localFiles: local.files,
    localDirectories: local.directories,
    localSymlinks: local.symlinks,
    localDeleted: local.deleted,
    localBytes: local.bytes,
    localTotalItems: totalItems(local),
    needFiles: need.files,
    needDirectories: need.directories,
    needSymlinks: need.symlinks,
    needDeletes: need.deleted,
    needBytes: need.bytes,
    needTotalItems: totalItems(need),
    receiveOnlyChangedFiles: ro.files,
    receiveOnlyChangedDirectories: ro.directories,
    receiveOnlyChangedSymlinks: ro.symlinks,
    receiveOnlyChangedDeletes: ro.deleted,
    receiveOnlyChangedBytes: ro.bytes,
    receiveOnlyTotalItems: totalItems(ro),
    inSyncFiles: global.files - need.files,
    inSyncBytes: global.bytes - need.bytes,
    state: s.state,
    stateChanged: s.stateChangedMs ? formatTimeSeconds(s.stateChangedMs) : ZERO_TIME,
    error: s.error,
    version: s.sequence,
    sequence: s.sequence,
    remoteSequence: {},
    ignorePatterns: s.ignorePatterns,
    watchError: s.watchError,
  };
}

const ZERO = { files: 0, directories: 0, symlinks: 0, deleted: 0, bytes: 0 };

/** What a paused (not running) folder reports: all zeros and no state. */
export function emptySummary(): Record<string, unknown> {
  return folderSummary({
    counts: { local: ZERO, global: ZERO, need: ZERO, receiveOnlyChanged: ZERO },
    state: '',
    stateChangedMs: 0,
    error: '',
    errors: 0,
    sequence: 0,
    ignorePatterns: false,
    watchError: '',
  });
}
