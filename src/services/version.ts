import os from 'node:os';
import { formatTimeSeconds } from '../shared/time-format.js';

/**
 * What /rest/system/version reports. `version` is the Syncthing API level we speak (v1.27), so
 * clients that gate features on the version string treat us as a 1.27; `longVersion` and `extra`
 * say what is really answering.
 */
export const API_VERSION = 'v1.27.0';
export const SYNCHRO_VERSION = '0.1.0';
/** Build stamp: the release date of this version, fixed so responses are reproducible. */
const BUILD_STAMP_S = 1795305600;

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' };

export function goArch(): string {
  return GO_ARCH[process.arch] ?? process.arch;
}

export function goOs(): string {
  return process.platform === 'win32' ? 'windows' : process.platform;
}

export interface VersionInfo {
  arch: string;
  codename: string;
  container: boolean;
  date: string;
  extra: string;
  isBeta: boolean;
  isCandidate: boolean;
  isRelease: boolean;
  longVersion: string;
  os: string;
  stamp: string;
  tags: string[];
  user: string;
  version: string;
}

export function versionInfo(): VersionInfo {
  const date = new Date(BUILD_STAMP_S * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return {
    arch: goArch(),
    codename: 'Synchro',
    container: false,
    date: formatTimeSeconds(BUILD_STAMP_S * 1000),
    extra: `synchro-${SYNCHRO_VERSION}`,
    isBeta: API_VERSION.includes('-'),
    isCandidate: API_VERSION.includes('-rc.'),
    isRelease: /^v\d+\.\d+\.\d+(-[a-z]+[\d.]+)?$/.test(API_VERSION),
    longVersion: `syncthing ${API_VERSION} "Synchro ${SYNCHRO_VERSION}" (node${process.versions.node} ${goOs()}-${goArch()}) synchro@${os.hostname()} ${date} [synchro]`,
    os: goOs(),
    stamp: String(BUILD_STAMP_S),
    tags: ['synchro'],
    user: 'synchro',
    version: API_VERSION,
  };
}
