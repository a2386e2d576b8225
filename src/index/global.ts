import { compareVersions, Flag, greaterEqual, INVALID_FLAGS, isConcurrent, parseVersion } from '../shared/file-info.js';

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

/** One entry of Syncthing's version list: a version and the devices that hold it, validly or not. */
interface Entry {
  version: [string, number][];
  valid: Candidate[];
  invalid: Candidate[];
}

/** The row Syncthing reads for an entry when it must look at metadata (FirstDevice). */
const first = (e: Entry): Candidate => e.valid[0] ?? e.invalid[0]!;

/**
 * Syncthing 1.19.2's WinsConflict (bep.md §1.9): whether `f` beats the concurrent `other` — the
 * valid one beats the invalid one, a modification beats a deletion, the newer mtime wins, and on
 * equal mtimes the vector that is ConcurrentGreater.
 */
export function winsConflict(f: Candidate, other: Candidate): boolean {
  if (invalid(f) !== invalid(other)) return !invalid(f);
  if (!f.deleted && other.deleted) return true;
  if (f.deleted && !other.deleted) return false;
  if (f.modifiedNs !== other.modifiedNs) return f.modifiedNs > other.modifiedNs;
  return compareVersions(parseVersion(f.version), parseVersion(other.version)) === 'concurrentGreater';
}

/**
 * The version list of one name, built as 1.19.2 builds it (lib/db/structs.go checkInsertAt and
 * shouldInsertBefore): each row goes into the entry with an equal version, or before the first
 * entry that is lesser than it or loses a conflict to it, or at the end. Rows are inserted in
 * device order, so the list is the same whatever order they arrived in.
 */
export function versionList(rows: readonly Candidate[]): Entry[] {
  const list: Entry[] = [];
  for (const c of [...rows].sort((a, b) => a.device - b.device)) {
    const v = parseVersion(c.version);
    let placed = false;
    for (let i = 0; i < list.length && !placed; i++) {
      const e = list[i]!;
      const ord = compareVersions(e.version, v);
      if (ord === 'equal') {
        (invalid(c) ? e.invalid : e.valid).push(c);
        placed = true;
      } else if (ord === 'lesser' || (isConcurrent(ord) && ((e.valid.length === 0) !== invalid(c) ? e.valid.length === 0 : winsConflict(c, first(e))))) {
        list.splice(i, 0, { version: v, valid: invalid(c) ? [] : [c], invalid: invalid(c) ? [c] : [] });
        placed = true;
      }
    }
    if (!placed) list.push({ version: v, valid: invalid(c) ? [] : [c], invalid: invalid(c) ? [c] : [] });
  }
  return list;
}

/**
 * The Global and Needed bits each row of one name should carry. The global entry is the first
 * one some device holds validly (or the first entry when none does); Global goes to one valid row
 * of it — ours when we hold it — so the counters count the name once. Needed goes on that row
 * when the local device needs it, by 1.19.2's Need: never an invalid or versionless global, not a
 * deletion we do not have, not when our version is greater or equal.
 */
export function globalFlags(rows: Candidate[], localDevice: number): Map<number, number> {
  const out = new Map<number, number>();
  const list = versionList(rows);
  const entry = list.find((e) => e.valid.length > 0) ?? list[0];
  if (!entry) return out;
  const holder = entry.valid.find((c) => c.device === localDevice) ?? entry.valid[0] ?? entry.invalid.find((c) => c.device === localDevice) ?? entry.invalid[0]!;
  const local = rows.find((c) => c.device === localDevice);
  const globalValid = entry.valid.length > 0;
  const need = globalValid && entry.version.length > 0 && !(holder.deleted && !local) && !(local && greaterEqual(parseVersion(local.version), entry.version));
  for (const c of rows) {
    let flags = c.flags & ~(Flag.Global | Flag.Needed);
    if (c === holder) flags |= Flag.Global | (need ? Flag.Needed : 0);
    out.set(c.id, flags);
  }
  return out;
}
