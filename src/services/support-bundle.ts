import path from 'node:path';
import { zip, strToU8 } from 'fflate';
import { writeFileAtomic } from '../shared/atomic-write.js';

/**
 * The support bundle (GET /rest/debug/support): a zip of text files that a user can hand to
 * someone helping them. Every text is scrubbed of the secrets the caller names before it is
 * packed, so a key that slipped into a log line cannot leave with the bundle. A copy is kept in
 * the home directory, as Syncthing does. The only importer of fflate.
 */

export interface BundleFile {
  name: string;
  text: string;
}

/** Shorter values would match ordinary words in the logs; keys and hashes are far longer. */
const MIN_SCRUB_LENGTH = 4;

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SCRUB_LENGTH) out = out.split(s).join('REDACTED');
  return out;
}

function zipAsync(files: Record<string, Uint8Array>, mtime: Date): Promise<Uint8Array> {
  return new Promise((resolve, reject) => zip(files, { level: 6, mtime }, (err, data) => (err ? reject(err) : resolve(data))));
}

/** Packs the files (scrubbed), keeps a copy as `<dir>/<name>` and returns the zip's bytes. */
export async function writeSupportBundle(dir: string, name: string, files: BundleFile[], secrets: readonly string[], now: Date): Promise<Uint8Array> {
  const entries: Record<string, Uint8Array> = {};
  for (const f of files) entries[f.name] = strToU8(scrub(f.text, secrets));
  // fflate's async zip deflates on a worker thread, off the event loop.
  const bytes = await zipAsync(entries, now);
  await writeFileAtomic(path.join(dir, name), bytes);
  return bytes;
}
