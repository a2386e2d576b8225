import path from 'node:path';
import { write } from './folder-helpers.js';

export const IGNORE_LINES = ['// a comment', '!(?i)Keep*', '(?d)(?i)!junk', '/rooted', '**/deep/**', 'a/**/b', '#include more.txt', 'plain'];

/** Two folders (one send-only with simple versioning and an ignore file), 3 files, 3 MiB + 5 bytes. */
export async function reportFixture(dir: string, addFolderTo: (id: string, p: string, extra: Record<string, unknown>) => Promise<void>): Promise<void> {
  await write(path.join(dir, 'one'), 'big.bin', Buffer.alloc(3 << 20, 1));
  await write(path.join(dir, 'one'), 'small.txt', 'hello');
  await write(path.join(dir, 'one'), 'more.txt', '');
  await write(path.join(dir, 'one'), '.stignore', IGNORE_LINES.join('\n') + '\n');
  await write(path.join(dir, 'two'), 'x.txt', 'x');
  await addFolderTo('one', path.join(dir, 'one'), { type: 'sendonly', versioning: { type: 'simple', params: { keep: '5' } }, rescanIntervalS: 60, fsWatcherEnabled: false, maxConflicts: -1 });
  await addFolderTo('two', path.join(dir, 'two'), { rescanIntervalS: 7200, fsWatcherEnabled: true, fsWatcherDelayS: 3, markerName: '.marker', ignorePerms: true });
}
