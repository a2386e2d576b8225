/**
 * Version tags (spec index §6): `~YYYYMMDD-HHMMSS` in the server's local time zone, placed before
 * the last extension of the file name (Go's filepath.Ext: a leading dot counts as an extension).
 */

const TAG = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The tag for a moment, in local time. */
export function formatTag(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getFullYear(), 4)}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** The moment a tag names (local time, whole seconds), or undefined for text that is not a valid tag. */
export function parseTag(tag: string): number | undefined {
  const m = TAG.exec(tag);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Go's parser refuses out-of-range fields (month 13, 31 February) rather than rolling them over.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d || date.getHours() !== h || date.getMinutes() !== mi) return undefined;
  return date.getTime();
}

/** The extension of a base name as Go's filepath.Ext sees it ('' when there is no dot). */
function ext(base: string): string {
  const i = base.lastIndexOf('.');
  return i < 0 ? '' : base.slice(i);
}

/** `dir/report.pdf` + tag → `dir/report~tag.pdf`. */
export function tagFilename(rel: string, tag: string): string {
  const slash = rel.lastIndexOf('/');
  const dir = rel.slice(0, slash + 1);
  const base = rel.slice(slash + 1);
  const e = ext(base);
  return `${dir}${base.slice(0, base.length - e.length)}~${tag}${e}`;
}

const TAGGED = /^.*~([^~.]+)(?:\.[^.]+)?$/;

/**
 * The untagged name and the tag of a version file, or undefined when the name carries no tag.
 * Only the base name is looked at: a `~` in a directory name is not a tag. Old-style names with
 * the tag after the extension (`a.txt~20240101-000000`) are understood too.
 */
export function untagFilename(rel: string): { name: string; tag: string } | undefined {
  const slash = rel.lastIndexOf('/');
  const dir = rel.slice(0, slash + 1);
  const base = rel.slice(slash + 1);
  const m = TAGGED.exec(base);
  if (!m) return undefined;
  const tag = m[1]!;
  const e = ext(base);
  if (e.endsWith(tag)) return { name: dir + base.slice(0, base.length - tag.length - 1), tag };
  return { name: dir + base.slice(0, base.length - e.length - tag.length - 1) + e, tag };
}
