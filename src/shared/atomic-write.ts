import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes a file so that a reader (or a crash at any moment) sees either the old content or the new,
 * never a mix: temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(target: string, content: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = path.dirname(target);
  // Named as Syncthing names its temporary files, so one left by a crash inside a synced folder
  // (.stignore) is skipped by every scanner, ours and Syncthing's, instead of being synced.
  const tmp = path.join(dir, `.syncthing.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  const fh = await fs.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const dh = await fs.open(dir, 'r').catch(() => undefined);
  if (dh) {
    await dh.sync().catch(() => undefined); // not every filesystem syncs directories
    await dh.close();
  }
}
