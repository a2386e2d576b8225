import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CURRENT_VERSION, migrateConfig } from '../../src/config/migrate.js';
import { parseConfigXml } from '../../src/config/xml.js';
import { startServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

/** Issue 23 item 2: config.xml of older versions is brought to version 37 step by step, as Syncthing v1.27.3 does. */

const V26 = `<configuration version="26">
    <folder id="old" label="Old" path="/data/old" type="sendreceive" rescanIntervalS="60" fsWatcherEnabled="true" fsWatcherDelayS="3" ignorePerms="false" autoNormalize="true">
        <device id="AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6" introducedBy=""></device>
        <versioning type="staggered">
            <param key="versionsPath" val="/backup/versions"></param>
            <param key="cleanInterval" val="7200"></param>
            <param key="maxAge" val="86400"></param>
        </versioning>
        <pullers>4</pullers>
        <scanOwnership>true</scanOwnership>
    </folder>
    <options>
        <maxConcurrentScans>3</maxConcurrentScans>
        <defaultFolderPath>~/SyncedHere</defaultFolderPath>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <urAccepted>-1</urAccepted>
    </options>
</configuration>
`;

test('each step of 27–37 applies to a version 26 file; a current file is left alone', () => {
  const { cfg, extras } = parseConfigXml(V26);
  assert.equal(migrateConfig(cfg, extras), 26);
  assert.equal(cfg.version, CURRENT_VERSION);
  const f = cfg.folders[0]!;
  assert.equal(f.pullerMaxPendingKiB, 512, 'v27: pullers → pullerMaxPendingKiB');
  assert.equal(cfg.options.maxFolderConcurrency, 3, 'v30: maxConcurrentScans → maxFolderConcurrency');
  assert.equal(f.junctionsAsDirs, true, 'v32');
  assert.equal(cfg.defaults.folder.path, '~/SyncedHere', 'v34: defaultFolderPath → defaults.folder.path');
  assert.equal(f.versioning.fsPath, '/backup/versions', 'v35: versionsPath → fsPath');
  assert.deepEqual(Object.keys(f.versioning.params).sort(), ['maxAge'], 'v35/v36: the moved and retired params are gone');
  assert.equal(f.sendOwnership, true, 'v37: scanOwnership → sendOwnership');
  assert.deepEqual(cfg.options.unackedNotificationIDs, ['fsWatcherNotification', 'crAutoDisabled', 'authenticationUserAndPassword'], 'v28, v29, v31');
  assert.equal((cfg.options as Record<string, unknown>).crashReportingEnabled, false, 'v29: follows global discovery and usage reporting');
  // The moved elements are no longer unknown XML to be written back.
  const folderExtras = JSON.stringify(extras['configuration/folders/old'] ?? {});
  assert.ok(!folderExtras.includes('pullers') && !folderExtras.includes('scanOwnership'));
  assert.ok(!JSON.stringify(extras['configuration/options'] ?? {}).includes('maxConcurrentScans'));

  const current = parseConfigXml(V26.replace('version="26"', 'version="37"'));
  assert.equal(migrateConfig(current.cfg, current.extras), 37);
  assert.equal(current.cfg.folders[0]!.pullerMaxPendingKiB, 0, 'nothing ran');
});

test('a fresh home writes version 37 with the "set a user and password" notice; an old one is upgraded on disk, the old kept', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const cfg = await s.json('/rest/config');
  assert.equal(cfg.version, 37);
  assert.deepEqual(cfg.options.unackedNotificationIDs, ['authenticationUserAndPassword']);

  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(dir, 'home');
  await fs.mkdir(home, { recursive: true });
  await fs.writeFile(path.join(home, 'config.xml'), V26.replace('/data/old', path.join(dir, 'old')));
  const old = await startServer({ home });
  t.after(() => old.stop());
  const upgraded = await old.json('/rest/config');
  assert.equal(upgraded.version, 37);
  assert.equal(upgraded.folders[0].pullerMaxPendingKiB, 512);
  assert.match(await fs.readFile(path.join(home, 'config.xml'), 'utf8'), /<configuration version="37">/);
  assert.match(await fs.readFile(path.join(home, 'config.xml.v26'), 'utf8'), /<configuration version="26">/, 'the old file is kept, as Syncthing keeps it');
});
