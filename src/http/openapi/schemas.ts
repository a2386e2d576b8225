import { anyJson, arr, bool, int, map, num, obj, orNull, ref, str, time, type Schema } from './schema-kit.js';

/** Answer shapes of the routes (besides the configuration, which config-schema.ts derives). */

const counts = (prefix: string, deletedName = 'Deleted'): Record<string, Schema> => ({
  [`${prefix}Files`]: int,
  [`${prefix}Directories`]: int,
  [`${prefix}Symlinks`]: int,
  [`${prefix}${deletedName}`]: int,
  [`${prefix}Bytes`]: int,
  [`${prefix}TotalItems`]: int,
});

export const FolderSummary = obj({
  errors: int,
  pullErrors: int,
  invalid: str,
  ...counts('global'),
  ...counts('local'),
  ...counts('need', 'Deletes'),
  receiveOnlyChangedFiles: int,
  receiveOnlyChangedDirectories: int,
  receiveOnlyChangedSymlinks: int,
  receiveOnlyChangedDeletes: int,
  receiveOnlyChangedBytes: int,
  receiveOnlyTotalItems: int,
  inSyncFiles: int,
  inSyncBytes: int,
  state: { type: 'string', enum: ['idle', 'scan-waiting', 'scanning', 'clean-waiting', 'cleaning', 'sync-waiting', 'sync-preparing', 'syncing', 'error', 'unknown'] },
  stateChanged: time,
  error: str,
  version: int,
  sequence: int,
  remoteSequence: map(int),
  ignorePatterns: bool,
  watchError: str,
});

const platform = { type: 'object' };
export const FileInfo = obj(
  {
    blocksHash: orNull(str),
    deleted: bool,
    ignored: bool,
    invalid: bool,
    localFlags: int,
    modified: time,
    modifiedBy: str,
    mustRescan: bool,
    name: str,
    noPermissions: bool,
    numBlocks: int,
    permissions: { type: 'string', pattern: '^0[0-7]{3}$' },
    platform,
    previousBlocksHash: orNull(str),
    sequence: int,
    size: int,
    type: { type: 'string', enum: ['FILE_INFO_TYPE_FILE', 'FILE_INFO_TYPE_DIRECTORY', 'FILE_INFO_TYPE_SYMLINK'] },
    version: arr({ type: 'string', pattern: '^[A-Z2-7]{7}:\\d+$' }),
  },
  ['permissions'],
);

export const TreeEntry: Schema = {
  ...obj({ name: str, modTime: time, size: int, type: str, children: arr(ref('TreeEntry')) }, ['children']),
};

export const Event = obj({ id: int, globalID: int, time, type: str, data: anyJson });

export const JobStatus = obj({
  id: int,
  group: str,
  startTime: time,
  endTime: time,
  duration: num,
  finished: bool,
  success: bool,
  error: str,
  output: anyJson,
  progress: anyJson,
});

export const SystemStatus = obj({
  alloc: int,
  connectionServiceStatus: map(anyJson),
  cpuPercent: num,
  discoveryEnabled: bool,
  discoveryErrors: map(str),
  discoveryMethods: int,
  discoveryStatus: map(anyJson),
  goroutines: int,
  guiAddressOverridden: bool,
  guiAddressUsed: str,
  lastDialStatus: map(anyJson),
  myID: str,
  pathSeparator: str,
  startTime: time,
  sys: int,
  tilde: str,
  uptime: int,
  urVersionMax: int,
});

export const Version = obj({
  arch: str,
  codename: str,
  container: bool,
  date: time,
  extra: str,
  isBeta: bool,
  isCandidate: bool,
  isRelease: bool,
  longVersion: str,
  os: str,
  stamp: str,
  tags: arr(str),
  user: str,
  version: str,
});

const levelMap = map(str);
export const Facilities = obj({ levels: levelMap, packages: levelMap });
export const HttpMetrics = map(obj({ count: int, sumMs: num, ratesPerS: arr(num), percentilesMs: arr(num) }));
export const DebugFacilities = obj({ enabled: orNull(arr(str)), facilities: levelMap });
export const LogMessages = obj({ messages: orNull(arr(obj({ when: time, message: str, level: int }))) });
export const SystemErrors = obj({ errors: orNull(arr(obj({ when: time, message: str, level: int }, ['level']))) });
export const Connections = obj({ connections: map(anyJson), total: obj({ at: time, inBytesTotal: int, outBytesTotal: int }) });
export const Completion = obj({ completion: num, globalBytes: int, globalItems: int, needBytes: int, needDeletes: int, needItems: int, remoteState: str, sequence: int });
export const NeedPage = obj({ page: int, perpage: int, progress: arr(ref('FileInfo')), queued: arr(ref('FileInfo')), rest: arr(ref('FileInfo')) });
export const FilesPage = obj({ files: arr(ref('FileInfo')), page: int, perpage: int });
export const ErrorsPage = obj({ errors: orNull(arr(obj({ path: str, error: str }))), folder: str, page: int, perpage: int });
export const DbFile = obj({ availability: orNull(arr(str)), global: orNull(ref('FileInfo')), local: ref('FileInfo'), mtime: anyJson }, ['mtime']);
export const Ignores = obj({ error: orNull(str), expanded: orNull(arr(str)), ignore: orNull(arr(str)) });
export const Versions = map(arr(obj({ versionTime: time, modTime: time, size: int })));
export const RestoreErrors = map(str);
export const JobId = obj({ jobid: int });
export const JobList = obj({ jobids: arr(int) });
export const FolderStats = map(obj({ lastFile: obj({ at: time, filename: str, deleted: bool }), lastScan: time }));
export const DeviceStats = map(obj({ lastSeen: time, lastConnectionDurationS: num }));
export const Ok = obj({ ok: str });
