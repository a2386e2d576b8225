/**
 * Typed view of the configuration, matching schema.ts field for field (JSON names).
 * Values handed out by the config store are frozen snapshots; change them only through modify().
 */

export type FolderType = 'sendreceive' | 'sendonly' | 'receiveonly' | 'receiveencrypted';

export interface Size {
  value: number;
  unit: string;
}

export interface VersioningConfiguration {
  type: string;
  params: Record<string, string>;
  cleanupIntervalS: number;
  fsPath: string;
  fsType: string;
}

export interface FolderDeviceConfiguration {
  deviceID: string;
  introducedBy: string;
  encryptionPassword: string;
}

export interface FolderConfiguration {
  id: string;
  label: string;
  filesystemType: string;
  path: string;
  type: FolderType;
  devices: FolderDeviceConfiguration[];
  rescanIntervalS: number;
  fsWatcherEnabled: boolean;
  fsWatcherDelayS: number;
  fsWatcherTimeoutS: number;
  ignorePerms: boolean;
  autoNormalize: boolean;
  minDiskFree: Size;
  versioning: VersioningConfiguration;
  copiers: number;
  pullerMaxPendingKiB: number;
  hashers: number;
  order: string;
  ignoreDelete: boolean;
  scanProgressIntervalS: number;
  pullerPauseS: number;
  maxConflicts: number;
  disableSparseFiles: boolean;
  disableTempIndexes: boolean;
  paused: boolean;
  weakHashThresholdPct: number;
  markerName: string;
  copyOwnershipFromParent: boolean;
  modTimeWindowS: number;
  maxConcurrentWrites: number;
  disableFsync: boolean;
  blockPullOrder: string;
  copyRangeMethod: string;
  caseSensitiveFS: boolean;
  junctionsAsDirs: boolean;
  syncOwnership: boolean;
  sendOwnership: boolean;
  syncXattrs: boolean;
  sendXattrs: boolean;
  xattrFilter: { entries: { match: string; permit: boolean }[]; maxSingleEntrySize: number; maxTotalSize: number };
}

export interface ObservedFolder {
  time: string;
  id: string;
  label: string;
}

export interface ObservedDevice {
  time: string;
  deviceID: string;
  name: string;
  address: string;
}

export interface DeviceConfiguration {
  deviceID: string;
  name: string;
  addresses: string[];
  compression: string;
  certName: string;
  introducer: boolean;
  skipIntroductionRemovals: boolean;
  introducedBy: string;
  paused: boolean;
  allowedNetworks: string[];
  autoAcceptFolders: boolean;
  maxSendKbps: number;
  maxRecvKbps: number;
  ignoredFolders: ObservedFolder[];
  maxRequestKiB: number;
  untrusted: boolean;
  remoteGUIPort: number;
  numConnections: number;
}

export interface GuiConfiguration {
  enabled: boolean;
  address: string;
  unixSocketPermissions: string;
  user: string;
  password: string;
  authMode: 'static' | 'ldap';
  metricsWithoutAuth: boolean;
  useTLS: boolean;
  apiKey: string;
  insecureAdminAccess: boolean;
  theme: string;
  debugging: boolean;
  insecureSkipHostcheck: boolean;
  insecureAllowFrameLoading: boolean;
  sendBasicAuthPrompt: boolean;
  sessionCookieDurationS: number;
  sessionCookiePath: string;
  /** Synchro only: "" or "/prefix/" (normalised by prepare). */
  baseUrl: string;
}

export interface LdapConfiguration {
  address: string;
  bindDN: string;
  transport: 'plain' | 'tls' | 'starttls';
  insecureSkipVerify: boolean;
  searchBaseDN: string;
  searchFilter: string;
}

/** Options are many and mostly opaque to us; the ones the service reads are named. */
export interface OptionsConfiguration {
  listenAddresses: string[];
  globalAnnounceEnabled: boolean;
  localAnnounceEnabled: boolean;
  urAccepted: number;
  urSeen: number;
  urUniqueId: string;
  maxFolderConcurrency: number;
  keepTemporariesH: number;
  databaseTuning: string;
  [key: string]: unknown;
}

export interface Configuration {
  version: number;
  folders: FolderConfiguration[];
  devices: DeviceConfiguration[];
  gui: GuiConfiguration;
  ldap: LdapConfiguration;
  options: OptionsConfiguration;
  remoteIgnoredDevices: ObservedDevice[];
  defaults: {
    folder: FolderConfiguration;
    device: DeviceConfiguration;
    ignores: { lines: string[] };
  };
}
