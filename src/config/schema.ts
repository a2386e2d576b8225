/**
 * The configuration described once, field by field, in Syncthing's declaration order. Defaults,
 * Go-style JSON decoding, XML reading and XML writing are all derived from these tables, so a field
 * added here is handled everywhere.
 */

export type XmlPlace = 'attr' | 'elem' | 'text';

interface Base {
  /** JSON name (Syncthing's wire name). */
  name: string;
  /** XML name when it differs from the JSON name. */
  xml?: string;
  /** Where the value lives in XML (default: a child element). */
  place?: XmlPlace;
}

export type Field =
  | (Base & { kind: 'string'; def: string })
  | (Base & { kind: 'deviceid'; def: string })
  | (Base & { kind: 'int'; def: number })
  | (Base & { kind: 'float'; def: number })
  | (Base & { kind: 'bool'; def: boolean })
  | (Base & { kind: 'enum'; def: string; values: readonly string[]; aliases?: Record<string, string>; goType: string })
  | (Base & { kind: 'strings'; def: readonly string[] })
  | (Base & { kind: 'map' })
  | (Base & { kind: 'struct'; schema: StructSchema })
  | (Base & { kind: 'structs'; schema: StructSchema });

export interface StructSchema {
  /** Go type name, used in decode error messages ("config.FolderConfiguration"). */
  goName: string;
  fields: readonly Field[];
}

const s = (name: string, def = '', extra: Partial<Base> = {}): Field => ({ name, kind: 'string', def, ...extra });
const i = (name: string, def = 0, extra: Partial<Base> = {}): Field => ({ name, kind: 'int', def, ...extra });
const f = (name: string, def = 0, extra: Partial<Base> = {}): Field => ({ name, kind: 'float', def, ...extra });
const b = (name: string, def = false, extra: Partial<Base> = {}): Field => ({ name, kind: 'bool', def, ...extra });
const attr = { place: 'attr' as const };

export const SIZE: StructSchema = {
  goName: 'config.Size',
  fields: [f('value', 1, { place: 'text' }), s('unit', '%', attr)],
};

export const VERSIONING: StructSchema = {
  goName: 'config.VersioningConfiguration',
  fields: [
    s('type', '', attr),
    { name: 'params', kind: 'map', xml: 'param' },
    i('cleanupIntervalS', 3600),
    s('fsPath'),
    s('fsType', 'basic'),
  ],
};

export const FOLDER_DEVICE: StructSchema = {
  goName: 'config.FolderDeviceConfiguration',
  fields: [
    { name: 'deviceID', kind: 'deviceid', def: '', xml: 'id', place: 'attr' },
    { name: 'introducedBy', kind: 'deviceid', def: '', place: 'attr' },
    s('encryptionPassword'),
  ],
};

export const XATTR_ENTRY: StructSchema = {
  goName: 'config.XattrFilterEntry',
  fields: [s('match', '', attr), b('permit', false, attr)],
};

export const XATTR_FILTER: StructSchema = {
  goName: 'config.XattrFilter',
  fields: [
    { name: 'entries', kind: 'structs', schema: XATTR_ENTRY, xml: 'entry' },
    i('maxSingleEntrySize', 1024),
    i('maxTotalSize', 4096),
  ],
};

export const FOLDER_TYPES = ['sendreceive', 'sendonly', 'receiveonly', 'receiveencrypted'] as const;

export const FOLDER: StructSchema = {
  goName: 'config.FolderConfiguration',
  fields: [
    s('id', '', attr),
    s('label', '', attr),
    { name: 'filesystemType', kind: 'enum', def: 'basic', values: ['basic', 'fake'], goType: 'fs.FilesystemType' },
    // v2's default: an empty path is refused, where 1.x's "~" silently shared the whole home directory.
    s('path', '', attr),
    {
      name: 'type',
      kind: 'enum',
      def: 'sendreceive',
      values: FOLDER_TYPES,
      aliases: { readwrite: 'sendreceive', readonly: 'sendonly' },
      goType: 'config.FolderType',
      place: 'attr',
    },
    { name: 'devices', kind: 'structs', schema: FOLDER_DEVICE, xml: 'device' },
    i('rescanIntervalS', 3600, attr),
    b('fsWatcherEnabled', true, attr),
    f('fsWatcherDelayS', 10, attr),
    f('fsWatcherTimeoutS', 0, attr),
    b('ignorePerms', false, attr),
    b('autoNormalize', true, attr),
    { name: 'minDiskFree', kind: 'struct', schema: SIZE },
    { name: 'versioning', kind: 'struct', schema: VERSIONING },
    i('copiers'),
    i('pullerMaxPendingKiB'),
    i('hashers'),
    {
      name: 'order',
      kind: 'enum',
      def: 'random',
      values: ['random', 'alphabetic', 'smallestFirst', 'largestFirst', 'oldestFirst', 'newestFirst'],
      goType: 'config.PullOrder',
    },
    b('ignoreDelete'),
    i('scanProgressIntervalS'),
    i('pullerPauseS'),
    i('maxConflicts', 10),
    b('disableSparseFiles'),
    b('disableTempIndexes'),
    b('paused'),
    i('weakHashThresholdPct', 25),
    s('markerName', '.stfolder'),
    b('copyOwnershipFromParent'),
    i('modTimeWindowS'),
    i('maxConcurrentWrites', 2),
    b('disableFsync'),
    {
      name: 'blockPullOrder',
      kind: 'enum',
      def: 'standard',
      values: ['standard', 'random', 'inOrder'],
      goType: 'config.BlockPullOrder',
    },
    {
      name: 'copyRangeMethod',
      kind: 'enum',
      def: 'standard',
      values: ['standard', 'ioctl', 'copy_file_range', 'sendfile', 'duplicate_extents', 'all'],
      goType: 'fs.CopyRangeMethod',
    },
    b('caseSensitiveFS'),
    b('junctionsAsDirs'),
    b('syncOwnership'),
    b('sendOwnership'),
    b('syncXattrs'),
    b('sendXattrs'),
    { name: 'xattrFilter', kind: 'struct', schema: XATTR_FILTER },
  ],
};

export const OBSERVED_FOLDER: StructSchema = {
  goName: 'config.ObservedFolder',
  fields: [s('time', '0001-01-01T00:00:00Z', attr), s('id', '', attr), s('label', '', attr)],
};

export const OBSERVED_DEVICE: StructSchema = {
  goName: 'config.ObservedDevice',
  fields: [
    s('time', '0001-01-01T00:00:00Z', attr),
    { name: 'deviceID', kind: 'deviceid', def: '', xml: 'id', place: 'attr' },
    s('name', '', attr),
    s('address', '', attr),
  ],
};

export const DEVICE: StructSchema = {
  goName: 'config.DeviceConfiguration',
  fields: [
    { name: 'deviceID', kind: 'deviceid', def: '', xml: 'id', place: 'attr' },
    s('name', '', attr),
    { name: 'addresses', kind: 'strings', def: ['dynamic'], xml: 'address' },
    {
      name: 'compression',
      kind: 'enum',
      def: 'metadata',
      values: ['metadata', 'always', 'never'],
      goType: 'protocol.Compression',
      place: 'attr',
    },
    s('certName', '', attr),
    b('introducer', false, attr),
    b('skipIntroductionRemovals', false, attr),
    { name: 'introducedBy', kind: 'deviceid', def: '', place: 'attr' },
    b('paused'),
    { name: 'allowedNetworks', kind: 'strings', def: [], xml: 'allowedNetwork' },
    b('autoAcceptFolders'),
    i('maxSendKbps'),
    i('maxRecvKbps'),
    { name: 'ignoredFolders', kind: 'structs', schema: OBSERVED_FOLDER, xml: 'ignoredFolder' },
    i('maxRequestKiB'),
    b('untrusted'),
    i('remoteGUIPort'),
    i('numConnections'),
  ],
};

export const GUI: StructSchema = {
  goName: 'config.GUIConfiguration',
  fields: [
    b('enabled', true, attr),
    s('address', '127.0.0.1:8384'),
    s('unixSocketPermissions'),
    s('user'),
    s('password'),
    { name: 'authMode', kind: 'enum', def: 'static', values: ['static', 'ldap'], goType: 'config.AuthMode' },
    b('metricsWithoutAuth'),
    b('useTLS', false, { xml: 'tls', place: 'attr' }),
    s('apiKey', '', { xml: 'apikey' }),
    b('insecureAdminAccess'),
    s('theme', 'default'),
    b('debugging', false, attr),
    b('insecureSkipHostcheck'),
    b('insecureAllowFrameLoading'),
    b('sendBasicAuthPrompt', false, attr),
    i('sessionCookieDurationS', 604800),
    s('sessionCookiePath', '/'),
    // Synchro's own: the path prefix the GUI and API are served under (see base-url.ts).
    s('baseUrl'),
  ],
};

export const LDAP: StructSchema = {
  goName: 'config.LDAPConfiguration',
  fields: [
    s('address'),
    s('bindDN'),
    { name: 'transport', kind: 'enum', def: 'plain', values: ['plain', 'tls', 'starttls'], goType: 'config.LDAPTransport' },
    b('insecureSkipVerify'),
    s('searchBaseDN'),
    s('searchFilter'),
  ],
};

export const OPTIONS: StructSchema = {
  goName: 'config.OptionsConfiguration',
  fields: [
    { name: 'listenAddresses', kind: 'strings', def: ['default'], xml: 'listenAddress' },
    { name: 'globalAnnounceServers', kind: 'strings', def: ['default'], xml: 'globalAnnounceServer' },
    b('globalAnnounceEnabled', true),
    b('localAnnounceEnabled', true),
    i('localAnnouncePort', 21027),
    s('localAnnounceMCAddr', '[ff12::8384]:21027'),
    i('maxSendKbps'),
    i('maxRecvKbps'),
    i('reconnectionIntervalS', 60),
    b('relaysEnabled', true),
    i('relayReconnectIntervalM', 10),
    b('startBrowser', true),
    b('natEnabled', true),
    i('natLeaseMinutes', 60),
    i('natRenewalMinutes', 30),
    i('natTimeoutSeconds', 10),
    i('urAccepted'),
    i('urSeen'),
    s('urUniqueId', '', { xml: 'urUniqueID' }),
    s('urURL', 'https://data.syncthing.net/newdata'),
    b('urPostInsecurely'),
    i('urInitialDelayS', 1800),
    b('restartOnWakeup', true),
    i('autoUpgradeIntervalH', 12),
    b('upgradeToPreReleases'),
    i('keepTemporariesH', 24),
    b('cacheIgnoredFiles'),
    i('progressUpdateIntervalS', 5),
    b('limitBandwidthInLan'),
    { name: 'minHomeDiskFree', kind: 'struct', schema: SIZE },
    s('releasesURL', 'https://upgrades.syncthing.net/meta.json'),
    { name: 'alwaysLocalNets', kind: 'strings', def: [], xml: 'alwaysLocalNet' },
    b('overwriteRemoteDeviceNamesOnConnect'),
    i('tempIndexMinBlocks', 10),
    { name: 'unackedNotificationIDs', kind: 'strings', def: [], xml: 'unackedNotificationID' },
    i('trafficClass'),
    b('setLowPriority', true),
    i('maxFolderConcurrency'),
    s('crURL', 'https://crash.syncthing.net/newcrash', { xml: 'crashReportingURL' }),
    b('crashReportingEnabled', true),
    i('stunKeepaliveStartS', 180),
    i('stunKeepaliveMinS', 20),
    { name: 'stunServers', kind: 'strings', def: ['default'], xml: 'stunServer' },
    s('databaseTuning', 'auto'),
    i('maxConcurrentIncomingRequestKiB'),
    b('announceLANAddresses', true),
    b('sendFullIndexOnUpgrade'),
    { name: 'featureFlags', kind: 'strings', def: [], xml: 'featureFlag' },
    i('connectionLimitEnough'),
    i('connectionLimitMax'),
    b('insecureAllowOldTLSVersions'),
    i('connectionPriorityTcpLan', 10),
    i('connectionPriorityQuicLan', 20),
    i('connectionPriorityTcpWan', 30),
    i('connectionPriorityQuicWan', 40),
    i('connectionPriorityRelay', 50),
    i('connectionPriorityUpgradeThreshold', 0),
  ],
};

export const IGNORES: StructSchema = {
  goName: 'config.Ignores',
  fields: [{ name: 'lines', kind: 'strings', def: [], xml: 'line' }],
};

export const DEFAULTS: StructSchema = {
  goName: 'config.Defaults',
  fields: [
    { name: 'folder', kind: 'struct', schema: FOLDER },
    { name: 'device', kind: 'struct', schema: DEVICE },
    { name: 'ignores', kind: 'struct', schema: IGNORES },
  ],
};

export const CONFIGURATION: StructSchema = {
  goName: 'config.Configuration',
  fields: [
    i('version', 37, attr),
    { name: 'folders', kind: 'structs', schema: FOLDER, xml: 'folder' },
    { name: 'devices', kind: 'structs', schema: DEVICE, xml: 'device' },
    { name: 'gui', kind: 'struct', schema: GUI },
    { name: 'ldap', kind: 'struct', schema: LDAP },
    { name: 'options', kind: 'struct', schema: OPTIONS },
    { name: 'remoteIgnoredDevices', kind: 'structs', schema: OBSERVED_DEVICE, xml: 'remoteIgnoredDevice' },
    { name: 'defaults', kind: 'struct', schema: DEFAULTS },
  ],
};

/** A fresh value of a struct with every field at its default. */
export function defaultsOf(schema: StructSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fld of schema.fields) {
    switch (fld.kind) {
      case 'strings':
        out[fld.name] = [...fld.def];
        break;
      case 'map':
        out[fld.name] = {};
        break;
      case 'struct':
        out[fld.name] = defaultsOf(fld.schema);
        break;
      case 'structs':
        out[fld.name] = [];
        break;
      default:
        out[fld.name] = fld.def;
    }
  }
  return out;
}
