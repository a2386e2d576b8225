import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigXml, serializeConfigXml } from '../../src/config/xml.js';

const ONE_FOLDER = `<configuration version="36">
    <folder id="f1" label="A &lt;label&gt; &amp; &quot;more&quot;" path="/data/f1" type="readonly" rescanIntervalS="60" fsWatcherEnabled="false" fsWatcherDelayS="1" ignorePerms="false" autoNormalize="true">
        <device id="AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6" introducedBy=""></device>
        <versioning type="simple">
            <param key="keep" val="7"></param>
            <cleanupIntervalS>3600</cleanupIntervalS>
        </versioning>
        <futureElement flavour="new">kept</futureElement>
    </folder>
    <gui enabled="true" tls="false" someNewAttr="x">
        <address>127.0.0.1:8384</address>
        <apikey>0123456789</apikey>
    </gui>
    <options>
        <listenAddress>tcp://127.0.0.1:22000</listenAddress>
        <listenAddress>quic://127.0.0.1:22000</listenAddress>
        <urUniqueID>abc</urUniqueID>
    </options>
    <unknownSection><child>1</child></unknownSection>
</configuration>
`;

test('a single <folder> is still a list, and values keep their types', () => {
  const { cfg } = parseConfigXml(ONE_FOLDER);
  assert.equal(cfg.folders.length, 1);
  const f = cfg.folders[0]!;
  assert.equal(f.label, 'A <label> & "more"');
  assert.equal(f.type, 'sendonly', 'readonly is an alias of sendonly');
  assert.equal(f.rescanIntervalS, 60);
  assert.equal(f.fsWatcherEnabled, false);
  assert.deepEqual(f.versioning.params, { keep: '7' });
  assert.equal(f.versioning.type, 'simple');
  assert.equal(f.markerName, '.stfolder', 'missing elements take their defaults');
  assert.equal(cfg.gui.apiKey, '0123456789', 'an all-digit key stays a string');
  assert.deepEqual(cfg.options.listenAddresses, ['tcp://127.0.0.1:22000', 'quic://127.0.0.1:22000']);
  assert.equal(cfg.options.urUniqueId, 'abc');
});

test('unknown elements and attributes survive a round trip', () => {
  const doc = parseConfigXml(ONE_FOLDER);
  const out = serializeConfigXml(doc);
  assert.match(out, /<futureElement flavour="new">kept<\/futureElement>/);
  assert.match(out, /<unknownSection>\s*<child>1<\/child>\s*<\/unknownSection>/);
  assert.match(out, /someNewAttr="x"/);
  assert.match(out, /label="A &lt;label&gt; &amp; &quot;more&quot;"/);
  const again = parseConfigXml(out);
  assert.deepEqual(again.cfg, doc.cfg);
  assert.equal(serializeConfigXml(again), out, 'writing is stable');
});

test('a syntax error names the line', () => {
  assert.throws(() => parseConfigXml('<configuration version="36">\n<gui>\n</configuration>\n'), /line \d+/);
  assert.throws(() => parseConfigXml('<notconfig/>'), /no <configuration> element/);
  assert.throws(() => parseConfigXml('<configuration><folder id="x" rescanIntervalS="abc"/></configuration>'), /not an integer/);
});

test('config.example.xml parses and holds the built-in defaults', async () => {
  const fs = await import('node:fs/promises');
  const { projectRoot } = await import('../support/test-server.js');
  const { defaultsOf, FOLDER, OPTIONS, GUI } = await import('../../src/config/schema.js');
  const { cfg } = parseConfigXml(await fs.readFile(`${projectRoot}/config.example.xml`, 'utf8'));
  const folder = { ...cfg.folders[0]! } as Record<string, unknown>;
  const def = defaultsOf(FOLDER);
  for (const k of Object.keys(def)) if (!['id', 'label', 'path', 'devices'].includes(k)) assert.deepEqual(folder[k], def[k], `folder.${k}`);
  assert.deepEqual({ ...cfg.options }, defaultsOf(OPTIONS));
  assert.deepEqual({ ...cfg.gui, apiKey: '' }, defaultsOf(GUI));
});
