/**
 * Event names as they appear on the wire, in a fixed order that gives each its bit in a mask.
 * Importable (type and value) by every room.
 */
export const EVENT_TYPES = [
  'Starting',
  'StartupComplete',
  'DeviceDiscovered',
  'DeviceConnected',
  'DeviceDisconnected',
  'DeviceRejected',
  'PendingDevicesChanged',
  'DevicePaused',
  'DeviceResumed',
  'ClusterConfigReceived',
  'LocalChangeDetected',
  'RemoteChangeDetected',
  'LocalIndexUpdated',
  'RemoteIndexUpdated',
  'ItemStarted',
  'ItemFinished',
  'StateChanged',
  'FolderRejected',
  'PendingFoldersChanged',
  'ConfigSaved',
  'DownloadProgress',
  'RemoteDownloadProgress',
  'FolderSummary',
  'FolderCompletion',
  'FolderErrors',
  'FolderScanProgress',
  'FolderPaused',
  'FolderResumed',
  'FolderWatchStateChanged',
  'ListenAddressesChanged',
  'LoginAttempt',
  'Failure',
  'UpgradeRestartScheduled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** One logged event, shared by every subscription that sees it (never copied per subscriber). */
export interface LoggedEvent {
  /** Process-wide sequence number, 1-based. */
  readonly globalID: number;
  /** Nanoseconds since the epoch at the moment of logging. */
  readonly timeNs: bigint;
  readonly type: EventType;
  readonly data: unknown;
  /** About how much memory the data holds (what the log's byte budget counts). */
  readonly bytes: number;
}

/** An event as one subscription numbers it: `id` counts per subscription (mask). */
export interface NumberedEvent {
  readonly id: number;
  readonly event: LoggedEvent;
}

/** Anything that can log an event; what leaf rooms and services depend on. */
export interface EventSink {
  append(type: EventType, data: unknown): LoggedEvent;
}
