// Issue 23 item 12: /rest/svc/report?version=N as Syncthing builds it (lib/ur/contract), with real totals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { folderSetup, addFolder, write } from '../support/folder-helpers.js';
import { reportFixture } from '../support/report-fixture.js';

test('the usage report counts what is configured and stored, by version', async (t) => {
  const { s, dir } = await folderSetup(t);
  await write(path.join(dir, 'two'), '.marker/x', '');
  await reportFixture(dir, (id, p, extra) => addFolder(s, id, p, extra));

  const v3 = await s.json('/rest/svc/report?version=3');
  assert.equal(v3.urVersion, 3);
  assert.equal(v3.numFolders, 2);
  assert.equal(v3.numDevices, 1);
    assert.equal(v3.totFiles, (await s.json('/rest/db/status?folder=one')).globalFiles + (await s.json('/rest/db/status?folder=two')).globalFiles);
  assert.ok(v3.totFiles >= 5, JSON.stringify(v3));
  assert.equal(v3.folderMaxFiles, (await s.json('/rest/db/status?folder=one')).globalFiles);
  assert.equal(v3.totMiB, 3);
  assert.equal(v3.folderMaxMiB, 3);
  assert.deepEqual(v3.folderUses, { sendonly: 1, sendreceive: 1, ignorePerms: 1, autoNormalize: 2, simpleVersioning: 1 });
  assert.deepEqual(v3.rescanIntvs, [60, 7200]);
  // "// a comment" counts as rooted: Syncthing only looks at the leading "/".
  assert.deepEqual(v3.ignoreStats, { lines: 8, inverts: 2, folded: 2, deletable: 1, rooted: 2, includes: 1, doubleStars: 1, stars: 1 });
  assert.equal(v3.folderUsesV3.fsWatcherEnabled, 1);
  assert.deepEqual(v3.folderUsesV3.fsWatcherDelays, [3, 10]);
  assert.equal(v3.folderUsesV3.customMarkerName, 1);
  assert.equal(v3.folderUsesV3.conflictsUnlimited, 1);
  assert.equal(v3.folderUsesV3.conflictsOther, 1);
  assert.deepEqual(v3.folderUsesV3.pullOrder, { random: 2 });
  assert.deepEqual(v3.guiStats, { enabled: 1, listenLocal: 1, theme: { default: 1 } });
  assert.deepEqual(v3.deviceUsesV3, {});
  assert.deepEqual(v3.blockStats, {});
  assert.ok(!('uptime' in v3) || v3.uptime > 0, 'uptime in seconds, left out while 0 (omitempty)');
  assert.equal(v3.natType, 'unknown');
  assert.ok(v3.sha256Perf > 0 && v3.hashPerf > 0);
  assert.ok(!('synchroVersion' in v3), 'only the report format');
  const dflt = await s.json('/rest/svc/report');
  assert.deepEqual([dflt.urVersion, dflt.ignoreStats, dflt.folderUsesV3], [3, v3.ignoreStats, v3.folderUsesV3], 'the default is version 3');

  const v2 = await s.json('/rest/svc/report?version=2');
  assert.equal(v2.urVersion, 2);
  assert.deepEqual(v2.folderUses, v3.folderUses);
  for (const k of ['uptime', 'natType', 'customStunServers', 'temporariesCustom']) assert.ok(!(k in v2), `${k} is v3`);
  for (const k of ['folderUsesV3', 'deviceUsesV3', 'guiStats', 'blockStats', 'ignoreStats']) assert.deepEqual(v2[k], {}, `${k} is a v3 section: present, empty`);

  const v1 = await s.json('/rest/svc/report?version=1');
  assert.ok(!('urVersion' in v1) && !('numCPU' in v1) && !('rescanIntvs' in v1));
  assert.equal(v1.totFiles, v3.totFiles);
  assert.deepEqual(v1.folderUses, {});
  assert.deepEqual(v1.announce, {});
  for (const bad of ['0', '-1', 'abc', '2x']) assert.equal((await s.json(`/rest/svc/report?version=${bad}`)).urVersion, 3, `version=${bad} means the current one`);

  // Go's order: the v1 fields first, the sections where the struct has them.
  const keys = Object.keys(v3);
  assert.deepEqual(keys.slice(0, 4), ['version', 'longVersion', 'platform', 'numFolders']);
  assert.ok(keys.indexOf('folderUses') < keys.indexOf('rescanIntvs') && keys.indexOf('rescanIntvs') < keys.indexOf('natType') && keys.indexOf('natType') < keys.indexOf('folderUsesV3'));
  assert.equal(keys.at(-1), 'ignoreStats');
});
