import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, scan, waitForEvent } from '../support/folder-helpers.js';
import type { Reference } from '../support/syncthing-ref.js';
import { pair, refFolder, refInSync, refSees, sha256File, skipReason, synchroSees, until } from './peer-kit.js';

/**
 * Issue 26 against Debian's Syncthing 1.19.2: Syncthing pulls what Synchro has. Syncthing's
 * folder is send-receive; Synchro's is send-only or send-receive.
 */

const opts = { skip: skipReason, timeout: 600_000 };

async function pullErrors(ref: Reference, folder: string): Promise<unknown[]> {
  return (await ref.json<any>(`/rest/folder/errors?folder=${folder}`)).errors ?? [];
}

async function inBytes(ref: Reference, from: string): Promise<number> {
  return (await ref.json<any>('/rest/system/connections')).connections[from].inBytesTotal;
}

test('files made on Synchro reach Syncthing byte for byte with the same record: empty, sparse, directories, symlinks, a chmod, then a delete into its versions', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const ours = path.join(p.dir, 'sy', 'a');
  await fs.mkdir(path.join(ours, 'docs', 'deep', 'er'), { recursive: true });
  await fs.mkdir(path.join(ours, 'empty-dir'));
  await fs.writeFile(path.join(ours, 'hello.txt'), 'hello from synchro\n');
  await fs.writeFile(path.join(ours, 'empty.bin'), '');
  // 3 MiB of random data with 1 MiB of zeros in the middle: its zero blocks are never requested.
  const mixed = Buffer.concat([randomBytes(1 << 20), Buffer.alloc(1 << 20), randomBytes(1 << 20)]);
  await fs.writeFile(path.join(ours, 'docs', 'mixed.bin'), mixed);
  // A sparse all-zero file of 64 MiB: nothing of it crosses the wire.
  const sparse = await fs.open(path.join(ours, 'sparse.img'), 'w');
  await sparse.truncate(64 << 20);
  await sparse.close();
  await fs.writeFile(path.join(ours, 'docs', 'deep', 'er', 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await fs.symlink('docs/deep/er/script.sh', path.join(ours, 'link-to-script'));
  await fs.symlink('../nowhere', path.join(ours, 'dangling'));
  await fs.utimes(path.join(ours, 'hello.txt'), 1_700_000_000.123456, 1_700_000_000.123456);
  await addFolder(p.s, 'a', ours, { type: 'sendonly', devices: [{ deviceID: p.refId }] });
  await scan(p.s, 'a');

  const theirs = path.join(p.dir, 'ref-a');
  await fs.mkdir(theirs, { recursive: true });
  await refFolder(p, 'a', theirs, { versioning: { type: 'simple', params: { keep: '5' }, cleanupIntervalS: 3600, fsPath: '', fsType: 'basic' } });
  await synchroSees(p);
  await refSees(p);
  const local = await p.s.json('/rest/db/status?folder=a');
  await refInSync(p.ref, 'a', (st) => st.localFiles === local.localFiles && st.localDirectories === local.localDirectories && st.localSymlinks === local.localSymlinks);

  for (const f of ['hello.txt', 'empty.bin', 'docs/mixed.bin', 'sparse.img', 'docs/deep/er/script.sh']) {
    assert.equal(await sha256File(path.join(theirs, f)), await sha256File(path.join(ours, f)), `${f}: same bytes`);
    const mine = (await p.s.json(`/rest/db/file?folder=a&file=${encodeURIComponent(f)}`)).local;
    const ref = (await p.ref.json<any>(`/rest/db/file?folder=a&file=${encodeURIComponent(f)}`)).local;
    assert.deepEqual(ref.version, mine.version, `${f}: same version`);
    assert.equal(ref.modifiedBy, mine.modifiedBy, `${f}: same modified_by`);
    assert.equal(ref.modified, mine.modified, `${f}: same mtime`);
    assert.equal(ref.permissions, mine.permissions, `${f}: same permissions`);
    assert.equal(ref.size, mine.size);
    const [a, b] = await Promise.all([fs.stat(path.join(ours, f), { bigint: true }), fs.stat(path.join(theirs, f), { bigint: true })]);
    assert.equal(b.mtimeNs, a.mtimeNs, `${f}: the mtime on disk to the nanosecond`);
    assert.equal(b.mode & 0o777n, a.mode & 0o777n, `${f}: the mode on disk`);
  }
  assert.equal(await fs.readlink(path.join(theirs, 'link-to-script')), 'docs/deep/er/script.sh');
  assert.equal(await fs.readlink(path.join(theirs, 'dangling')), '../nowhere');
  assert.ok((await fs.stat(path.join(theirs, 'empty-dir'))).isDirectory());
  // Only non-zero blocks were asked for: hello, script, and mixed's 16 random blocks of 128 KiB.
  const served = p.s.app.blocks.served;
  assert.equal(served.bytes, 19 + 18 + (2 << 20), 'zero blocks are never requested');
  assert.equal(served.generic + served.noSuchFile + served.invalid, 0);

  // A chmod reaches Syncthing without data.
  const before = served.ok;
  await fs.chmod(path.join(ours, 'hello.txt'), 0o600);
  await scan(p.s, 'a');
  await until('the chmod on the reference', async () => ((await fs.stat(path.join(theirs, 'hello.txt'))).mode & 0o777) === 0o600);
  assert.equal(p.s.app.blocks.served.ok, before, 'a chmod needs no block');

  // A delete goes into Syncthing's versions.
  await fs.rm(path.join(ours, 'docs', 'mixed.bin'));
  await scan(p.s, 'a');
  await until('the delete on the reference', async () => !(await fs.stat(path.join(theirs, 'docs', 'mixed.bin')).catch(() => undefined)));
  const kept = await fs.readdir(path.join(theirs, '.stversions', 'docs'));
  assert.equal(kept.length, 1);
  assert.match(kept[0]!, /^mixed~\d{8}-\d{6}\.bin$/);
  assert.equal(await sha256File(path.join(theirs, '.stversions', 'docs', kept[0]!)), createHash('sha256').update(mixed).digest('hex'));

  // Syncthing has everything: Synchro's completion for it is 100, with the event; no pull errors there.
  const seq = (await p.s.json('/rest/db/status?folder=a')).sequence;
  await refInSync(p.ref, 'a', (st) => st.localFiles === local.localFiles - 1);
  const fc = await waitForEvent(p.s, 'FolderCompletion', (e) => e.data.folder === 'a' && e.data.device === p.refId && e.data.completion === 100 && e.data.sequence >= seq, 60_000);
  assert.equal(fc.data.needItems, 0);
  const c = await p.s.json(`/rest/db/completion?folder=a&device=${p.refId}`);
  assert.equal(c.completion, 100);
  assert.equal(c.needItems, 0);
  assert.deepEqual(await pullErrors(p.ref, 'a'), []);
  assert.deepEqual(p.ref.connectionProblems(), []);
});

test('10,000 files of 4 KiB from Synchro: all on Syncthing, completion 100, no pull errors', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const ours = path.join(p.dir, 'sy', 'many');
  for (let d = 0; d < 100; d++) {
    const dir = path.join(ours, `d${d}`);
    await fs.mkdir(dir, { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => fs.writeFile(path.join(dir, `f${i}.bin`), randomBytes(4096))));
  }
  await addFolder(p.s, 'many', ours, { devices: [{ deviceID: p.refId }] });
  await scan(p.s, 'many');
  const theirs = path.join(p.dir, 'ref-many');
  await fs.mkdir(theirs, { recursive: true });
  await refFolder(p, 'many', theirs);
  await refInSync(p.ref, 'many', (st) => st.localFiles === 10_000, 300_000);
  for (const f of ['d0/f0.bin', 'd42/f17.bin', 'd99/f99.bin']) assert.equal(await sha256File(path.join(theirs, f)), await sha256File(path.join(ours, f)));
  assert.equal(p.s.app.blocks.served.ok, 10_000);
  assert.equal(p.s.app.blocks.served.bytes, 10_000 * 4096);
  await waitForEvent(p.s, 'FolderCompletion', (e) => e.data.folder === 'many' && e.data.device === p.refId && e.data.completion === 100, 60_000);
  assert.equal((await p.s.json(`/rest/db/completion?folder=many&device=${p.refId}`)).completion, 100);
  assert.deepEqual(await pullErrors(p.ref, 'many'), []);
});

test('a 1 GiB file from Synchro reaches Syncthing whole; renamed on Synchro, it is renamed there with under 1 MiB transferred', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const ours = path.join(p.dir, 'sy', 'big');
  await fs.mkdir(ours, { recursive: true });
  const fh = await fs.open(path.join(ours, 'big.bin'), 'w');
  for (let i = 0; i < 64; i++) await fh.write(randomBytes(16 << 20));
  await fh.close();
  await addFolder(p.s, 'big', ours, { devices: [{ deviceID: p.refId }] });
  await scan(p.s, 'big');
  const theirs = path.join(p.dir, 'ref-big');
  await fs.mkdir(theirs, { recursive: true });
  await refFolder(p, 'big', theirs);
  await refInSync(p.ref, 'big', (st) => st.localFiles === 1 && st.localBytes === 1 << 30, 300_000);
  assert.equal(await sha256File(path.join(theirs, 'big.bin')), await sha256File(path.join(ours, 'big.bin')));
  const mine = (await p.s.json('/rest/db/file?folder=big&file=big.bin')).local;
  const ref = (await p.ref.json<any>('/rest/db/file?folder=big&file=big.bin')).local;
  assert.deepEqual(ref.version, mine.version);
  assert.equal(ref.modified, mine.modified);
  assert.equal(ref.blockSize ?? mine.blockSize, mine.blockSize);

  const inBefore = await inBytes(p.ref, p.s.app.myId);
  const servedBefore = p.s.app.blocks.served.bytes;
  await fs.rename(path.join(ours, 'big.bin'), path.join(ours, 'renamed.bin'));
  await scan(p.s, 'big');
  await until('the rename on the reference', async () => (await fs.stat(path.join(theirs, 'renamed.bin')).catch(() => undefined)) && !(await fs.stat(path.join(theirs, 'big.bin')).catch(() => undefined)), 120_000);
  await refInSync(p.ref, 'big', (st) => st.localFiles === 1);
  const moved = (await inBytes(p.ref, p.s.app.myId)) - inBefore;
  assert.ok(moved < 1 << 20, `the rename moved ${moved} bytes`);
  assert.equal(p.s.app.blocks.served.bytes, servedBefore, 'no block was requested for the rename');
  assert.deepEqual(await pullErrors(p.ref, 'big'), []);
  await waitForEvent(p.s, 'FolderCompletion', (e) => e.data.folder === 'big' && e.data.device === p.refId && e.data.completion === 100 && e.data.needItems === 0, 60_000);
});

test("send-only: Syncthing's changes are only needed here until Override, which makes Syncthing take Synchro's folder as it is", opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const ours = path.join(p.dir, 'sy', 'o');
  await fs.mkdir(ours, { recursive: true });
  await fs.writeFile(path.join(ours, 'a.txt'), 'ours\n');
  await fs.writeFile(path.join(ours, 'b.txt'), 'ours too\n');
  await addFolder(p.s, 'o', ours, { type: 'sendonly', devices: [{ deviceID: p.refId }] });
  await scan(p.s, 'o');
  const theirs = path.join(p.dir, 'ref-o');
  await fs.mkdir(theirs, { recursive: true });
  await refFolder(p, 'o', theirs);
  await refInSync(p.ref, 'o', (st) => st.localFiles === 2);
  const st0 = await p.s.json('/rest/db/status?folder=o');
  assert.equal(st0.needTotalItems, 0, 'nothing to override while both agree');

  // Syncthing changes one file and adds one: Synchro (send-only) takes neither, it needs them.
  await fs.writeFile(path.join(theirs, 'a.txt'), 'theirs, longer\n');
  await fs.writeFile(path.join(theirs, 'c.txt'), 'new over there\n');
  const r = await p.ref.req('/rest/db/scan?folder=o', { method: 'POST' });
  assert.equal(r.status, 200);
  const st = await until('Synchro to need what Syncthing changed', async () => {
    const x = await p.s.json('/rest/db/status?folder=o');
    return x.needTotalItems === 2 && x.state === 'idle' ? x : undefined;
  }, 60_000);
  assert.equal(st.needFiles, 2);
  const need = await p.s.json('/rest/db/need?folder=o');
  assert.deepEqual([...need.progress, ...need.queued, ...need.rest].map((f: any) => f.name).sort(), ['a.txt', 'c.txt']);
  assert.equal(await fs.readFile(path.join(ours, 'a.txt'), 'utf8'), 'ours\n', 'a send-only folder changes nothing by itself');
  assert.ok(!(await fs.stat(path.join(ours, 'c.txt')).catch(() => undefined)));

  // Override: our a.txt wins, c.txt (which we do not have) is deleted over there.
  const o = await p.s.req('/rest/db/override?folder=o', { method: 'POST' });
  assert.equal(o.status, 200);
  await until("Syncthing to take Synchro's a.txt and drop c.txt", async () => {
    const a = await fs.readFile(path.join(theirs, 'a.txt'), 'utf8').catch(() => '');
    return a === 'ours\n' && !(await fs.stat(path.join(theirs, 'c.txt')).catch(() => undefined));
  }, 60_000);
  await refInSync(p.ref, 'o', (x) => x.localFiles === 2);
  const after = await until('Synchro to need nothing', async () => {
    const x = await p.s.json('/rest/db/status?folder=o');
    return x.needTotalItems === 0 ? x : undefined;
  });
  assert.equal(after.globalFiles, 2);
  const mine = (await p.s.json('/rest/db/file?folder=o&file=a.txt')).local;
  const ref = (await p.ref.json<any>('/rest/db/file?folder=o&file=a.txt')).local;
  assert.deepEqual(ref.version, mine.version, 'the overriding version is what Syncthing holds');
  const conflicts = (await fs.readdir(theirs)).filter((n) => n.includes('sync-conflict'));
  assert.deepEqual(conflicts, [], 'an override is no conflict: our version has seen theirs');
  await waitForEvent(p.s, 'FolderCompletion', (e) => e.data.folder === 'o' && e.data.device === p.refId && e.data.completion === 100 && e.data.needItems === 0, 60_000);
  assert.deepEqual(await pullErrors(p.ref, 'o'), []);
});
