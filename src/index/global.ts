import { compareVersions, Flag, INVALID_FLAGS, parseVersion } from '../shared/file-info.js';

/** One device's row for a name, as global selection needs it. */
export interface Candidate {
  id: number;
  device: number;
  version: string;
  deleted: boolean;
  flags: number;
  modifiedNs: bigint;
}

const invalid = (c: Candidate) => (c.flags & INVALID_FLAGS) !== 0;

/** Orders rows so that the global candidate comes first (spec index §1.6). */
function better(a: Candidate, b: Candidate): number {
  const ord = compareVersions(parseVersion(a.version), parseVersion(b.version));
  if (ord === 'greater') return -1;
  if (ord === 'lesser') return 1;
  if (invalid(a) !== invalid(b)) return invalid(a) ? 1 : -1;
  if (ord === 'equal') return a.device - b.device;
  if (a.modifiedNs !== b.modifiedNs) return a.modifiedNs > b.modifiedNs ? -1 : 1;
  return a.device - b.device;
}

/**
 * The Global and Needed bits each row of one name should carry. Global goes to the first valid
 * row in version order (or the first row when all are invalid); Needed is set on it when the local
 * device does not have that version and the global is valid.
 */
export function globalFlags(rows: Candidate[], localDevice: number): Map<number, number> {
  const sorted = [...rows].sort(better);
  const global = sorted.find((c) => !invalid(c)) ?? sorted[0];
  const out = new Map<number, number>();
  if (!global) return out;
  const local = rows.find((c) => c.device === localDevice);
  const localHas =
    local !== undefined
      ? sorted.indexOf(local) <= sorted.indexOf(global) || compareVersions(parseVersion(local.version), parseVersion(global.version)) === 'equal'
      : global.deleted;
  for (const c of rows) {
    let flags = c.flags & ~(Flag.Global | Flag.Needed);
    if (c === global) {
      flags |= Flag.Global;
      if (!localHas && !invalid(global)) flags |= Flag.Needed;
    }
    out.set(c.id, flags);
  }
  return out;
}
