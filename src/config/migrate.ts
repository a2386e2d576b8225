import type { XmlExtras } from './xml.js';
import type { Configuration } from './types.js';

/**
 * Upgrades a configuration read from an older config.xml to the version Syncthing v1.27.3 writes
 * (37), one step at a time as lib/config/migrations.go does. Steps that only renamed or moved
 * settings read the old element from the XML we did not know (`extras`) and take it out; steps
 * that only asked for a database change bump the version. Files older than version 20 are
 * brought up to 20 without the steps before it (they predate Syncthing 0.14.50, 2018).
 */

export const CURRENT_VERSION = 37;

type Node = Record<string, unknown>;

/** The text of an unknown child element `name` of the struct at `key`, taken out of the extras. */
function takeElement(extras: XmlExtras, key: string, name: string): string | undefined {
  const e = extras[key];
  if (!e) return undefined;
  const i = e.nodes.findIndex((n) => Object.keys(n).includes(name));
  if (i < 0) return undefined;
  const [node] = e.nodes.splice(i, 1) as [Node];
  const kids = (node[name] as Node[] | undefined) ?? [];
  return kids.map((k) => String(k['#text'] ?? '')).join('');
}

/** Drops every unknown child element `name` of the struct at `key`. */
function dropElements(extras: XmlExtras, key: string, name: string): void {
  const e = extras[key];
  if (e) e.nodes = e.nodes.filter((n) => !Object.keys(n).includes(name));
}

const folderKey = (id: string) => `configuration/folders/${id}`;
const notify = (cfg: Configuration, id: string) => void (cfg.options.unackedNotificationIDs as string[]).push(id);
const truthy = (v: string | undefined) => v !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v.trim());

const STEPS: [number, (cfg: Configuration, extras: XmlExtras) => void][] = [
  [21, () => undefined], // cleaned symlinks out of version stores once; our stores never follow them
  [22, (cfg) => {
    for (const f of cfg.folders) if (f.versioning.type === 'external' && f.versioning.params.command !== undefined) f.versioning.params.command += ' %FOLDER_PATH% %FILE_PATH%';
  }],
  [23, () => undefined], // turned a .stfolder file into a directory; the scanner needs the directory anyway
  [24, (cfg) => void (cfg.options.urSeen = 2)],
  [25, (cfg) => {
    for (const f of cfg.folders) f.fsWatcherDelayS = 10;
  }],
  [26, () => undefined],
  [27, (cfg, extras) => {
    for (const f of cfg.folders) {
      const pullers = Number(takeElement(extras, folderKey(f.id), 'pullers') ?? 0);
      if (pullers > 0) f.pullerMaxPendingKiB = 128 * pullers;
    }
  }],
  [28, (cfg) => notify(cfg, 'fsWatcherNotification')],
  [29, (cfg) => {
    const on = cfg.options.globalAnnounceEnabled || cfg.options.urAccepted > 0;
    (cfg.options as Record<string, unknown>).crashReportingEnabled = on;
    notify(cfg, on ? 'crAutoEnabled' : 'crAutoDisabled');
  }],
  [30, (cfg, extras) => {
    const scans = takeElement(extras, 'configuration/options', 'maxConcurrentScans');
    if (scans !== undefined && /^-?\d+$/.test(scans.trim())) cfg.options.maxFolderConcurrency = Number(scans.trim());
  }],
  [31, (cfg) => notify(cfg, 'authenticationUserAndPassword')],
  [32, (cfg) => {
    for (const f of cfg.folders) f.junctionsAsDirs = true;
  }],
  [33, (cfg, extras) => {
    for (const d of cfg.devices) dropElements(extras, `configuration/devices/${d.deviceID}`, 'pendingFolder');
    dropElements(extras, 'configuration', 'pendingDevice');
  }],
  [34, (cfg, extras) => {
    const p = takeElement(extras, 'configuration/options', 'defaultFolderPath');
    if (p !== undefined) cfg.defaults.folder.path = p;
  }],
  [35, (cfg) => {
    for (const f of cfg.folders) {
      const params = f.versioning.params;
      if (params.fsType) f.versioning.fsType = params.fsType;
      if (params.versionsPath && !params.fsPath) params.fsPath = params.versionsPath;
      if (params.fsPath !== undefined) f.versioning.fsPath = params.fsPath;
      delete params.fsType;
      delete params.fsPath;
      delete params.versionsPath;
    }
  }],
  [36, (cfg) => {
    for (const f of cfg.folders) delete f.versioning.params.cleanInterval;
  }],
  [37, (cfg, extras) => {
    for (const f of cfg.folders) {
      const scan = takeElement(extras, folderKey(f.id), 'scanOwnership');
      if (scan !== undefined) f.sendOwnership = truthy(scan);
    }
  }],
];

/** Brings `cfg` (mutated) to CURRENT_VERSION; returns the version it had, to tell whether anything changed. */
export function migrateConfig(cfg: Configuration, extras: XmlExtras): number {
  const from = cfg.version;
  if (from >= CURRENT_VERSION) return from;
  if (cfg.version < 20) cfg.version = 20;
  for (const [to, step] of STEPS) {
    if (cfg.version >= to) continue;
    step(cfg, extras);
    cfg.version = to;
  }
  return from;
}
