import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, scan } from '../support/folder-helpers.js';
import { pair, refFolder, refInSync, sha256File, skipReason, synchroInSync, until, type Pair } from './peer-kit.js';

/**
 * Issue 27 against Debian's Syncthing 1.19.2: Synchro pulls what Syncthing has — creations,
 * changes, chmods, deletes and renames — with the same bytes, mtimes and modes, and its next scan
 * finds nothing to change.
 */

const opts = { skip: skipReason, timeout: 600_000 };

/** Both sides hold the same global and local state of the folder (1.19.2 counts 128 bytes per directory and symlink, Synchro none, as v2). */
async function sameCounts(p: Pair, folder: string): Promise<void> {
  const ref = await refInSync(p.ref, folder, () => true);
  await synchroInSync(p.s, folder, (st) => st.localFiles === ref.localFiles && st.localDirectories === ref.localDirectories && st.localSymlinks === ref.localSymlinks && st.localBytes === ref.localBytes - 128 * (ref.localDirectories + ref.localSymlinks)).catch(async (err) => {
    console.log(JSON.stringify({ ref, status: await p.s.json(`/rest/db/status?folder=${folder}`), errors: await p.s.json(`/rest/folder/errors?folder=${folder}`), need: await p.s.json(`/rest/db/need?folder=${folder}`) }, null, 1).slice(0, 8000));
    throw err;
  });
}

/** Every file, directory and symlink under both roots is the same: bytes, mtime (to the microsecond), mode, link target. */
async function sameTrees(a: string, b: string, rel = ''): Promise<number> {
  const skip = (n: string) => n === '.stfolder' || n === '.stversions' || n.startsWith('.syncthing.');
  const [ea, eb] = await Promise.all([fs.readdir(path.join(a, rel)), fs.readdir(path.join(b, rel))]);
  assert.deepEqual(eb.filter((n) => !skip(n)).sort(), ea.filter((n) => !skip(n)).sort(), `entries of ${rel || '/'}`);
  let n = 0;
  for (const name of ea.filter((x) => !skip(x))) {
    const r = rel ? `${rel}/${name}` : name;
    const [sa, sb] = await Promise.all([fs.lstat(path.join(a, r), { bigint: true }), fs.lstat(path.join(b, r), { bigint: true })]);
    assert.equal(sb.isSymbolicLink(), sa.isSymbolicLink(), `${r}: type`);
    assert.equal(sb.isDirectory(), sa.isDirectory(), `${r}: type`);
    n++;
    if (sa.isSymbolicLink()) assert.equal(await fs.readlink(path.join(b, r)), await fs.readlink(path.join(a, r)), `${r}: target`);
    else if (sa.isDirectory()) {
      assert.equal(sb.mode & 0o777n, sa.mode & 0o777n, `${r}: mode`);
      n += await sameTrees(a, b, r);
    } else {
      assert.equal(sb.mode & 0o777n, sa.mode & 0o777n, `${r}: mode`);
      // Node sets mtimes through a double (about 0.2 µs apart at today's times): the disk keeps the
      // microsecond, the mtime map the rest (the index's record is exact, see below).
      const d = sb.mtimeNs - sa.mtimeNs;
      assert.ok(d < 1000n && d > -1000n, `${r}: mtime ${sb.mtimeNs} vs ${sa.mtimeNs}`);
      assert.equal(sb.size, sa.size, `${r}: size`);
      assert.equal(await sha256File(path.join(b, r)), await sha256File(path.join(a, r)), `${r}: bytes`);
    }
  }
  return n;
}

/** Syncthing rescans, and Synchro's copy ends up identical (with Syncthing's completion for Synchro at 100). */
async function refChanged(p: Pair, folder: string, theirs: string, ours: string): Promise<void> {
  const r = await p.ref.req(`/rest/db/scan?folder=${folder}`, { method: 'POST' });
  assert.equal(r.status, 200);
  await sameCounts(p, folder);
  await until('the reference to have Synchro at 100 %', async () => (await p.ref.json<any>(`/rest/db/completion?folder=${folder}&device=${p.s.app.myId}`)).completion === 100, 60_000);
  await sameTrees(theirs, ours);
}

test('what Syncthing creates, changes, chmods, deletes and renames arrives on Synchro identically, and Synchro\'s next scan changes nothing', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const theirs = path.join(p.dir, 'ref-a');
  await fs.mkdir(path.join(theirs, 'docs', 'deep'), { recursive: true });
  await fs.mkdir(path.join(theirs, 'empty-dir'), { mode: 0o700 });
  await fs.chmod(path.join(theirs, 'empty-dir'), 0o700);
  await fs.writeFile(path.join(theirs, 'hello.txt'), 'hello from syncthing\n');
  await fs.writeFile(path.join(theirs, 'empty.bin'), '');
  const mixed = Buffer.concat([randomBytes(1 << 20), Buffer.alloc(1 << 20), randomBytes(1 << 20)]);
  await fs.writeFile(path.join(theirs, 'docs', 'mixed.bin'), mixed);
  const sparse = await fs.open(path.join(theirs, 'sparse.img'), 'w');
  await sparse.truncate(32 << 20);
  await sparse.close();
  await fs.writeFile(path.join(theirs, 'docs', 'deep', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await fs.chmod(path.join(theirs, 'docs', 'deep', 'run.sh'), 0o755);
  await fs.symlink('docs/deep/run.sh', path.join(theirs, 'link'));
  await fs.utimes(path.join(theirs, 'hello.txt'), 1_700_000_000.123456, 1_700_000_000.123456);
  await refFolder(p, 'a', theirs);

  const ours = path.join(p.dir, 'sy', 'a');
  await fs.mkdir(ours, { recursive: true });
  await addFolder(p.s, 'a', ours, { devices: [{ deviceID: p.refId }] });
  await sameCounts(p, 'a');
  assert.equal(await sameTrees(theirs, ours), 9);
  const f = (await p.s.json('/rest/db/file?folder=a&file=hello.txt')) as any;
  const g = (await p.ref.json<any>('/rest/db/file?folder=a&file=hello.txt')) as any;
  assert.deepEqual(f.local.version, g.local.version, 'the pulled record keeps the version');
  assert.equal(f.local.modifiedBy, g.local.modifiedBy);
  assert.equal(f.local.modified, g.local.modified);
  // /metrics counts the pull and where its bytes came from: the random bytes over the network, the
  // zero blocks (the middle MiB of mixed.bin, all of sparse.img) left as holes.
  const metrics = await (await p.s.req('/metrics')).text();
  const sample = (name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
  assert.ok(sample('syncthing_model_folder_pulls_total', 'folder="a"') >= 1, 'a pull iteration counted');
  assert.ok(sample('syncthing_model_folder_pull_seconds_total', 'folder="a"') > 0);
  assert.equal(sample('syncthing_model_folder_processed_bytes_total', 'folder="a",source="network"'), (2 << 20) + 21 + 18);
  assert.equal(sample('syncthing_model_folder_processed_bytes_total', 'folder="a",source="skipped"'), (1 << 20) + (32 << 20));

  // Nothing changed for the scanner: no new sequence, nothing announced.
  const seq = (await p.s.json('/rest/db/status?folder=a')).sequence;
  await scan(p.s, 'a');
  assert.equal((await p.s.json('/rest/db/status?folder=a')).sequence, seq, 'a scan after the pull finds nothing changed');

  // A change in the middle of a file, a chmod, a delete and a rename.
  const fh = await fs.open(path.join(theirs, 'docs', 'mixed.bin'), 'r+');
  await fh.write(randomBytes(1000), 0, 1000, 1 << 20);
  await fh.close();
  await fs.chmod(path.join(theirs, 'hello.txt'), 0o600);
  await fs.rm(path.join(theirs, 'empty.bin'));
  await fs.rename(path.join(theirs, 'docs', 'deep', 'run.sh'), path.join(theirs, 'docs', 'run2.sh'));
  await fs.rm(path.join(theirs, 'link'));
  await fs.symlink('docs/run2.sh', path.join(theirs, 'link'));
  await fs.rmdir(path.join(theirs, 'empty-dir'));
  await refChanged(p, 'a', theirs, ours);
  const seq2 = (await p.s.json('/rest/db/status?folder=a')).sequence;
  await scan(p.s, 'a');
  assert.equal((await p.s.json('/rest/db/status?folder=a')).sequence, seq2, 'a scan after the second pull finds nothing changed');
  assert.deepEqual((await p.s.json('/rest/folder/errors?folder=a')).errors, null);
  assert.deepEqual(p.ref.connectionProblems(), []);
});
