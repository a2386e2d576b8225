import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { startServer } from '../support/test-server.js';

/**
 * Issue 22 item 16: what XML cannot hold is refused with the field named (and config.xml is left
 * as it was); everything else is written so that it reads back byte for byte.
 */

test('control characters, NUL, U+FFFE and lone surrogates are refused naming the field; config.xml stays valid', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const file = path.join(s.home, 'config.xml');
  const before = await fs.readFile(file, 'utf8');
  const cases: [string, string, RegExp][] = [
    ['/rest/config/options', JSON.stringify({ urURL: 'a\u0001b' }), /options\.urURL: contains U\+0001/],
    ['/rest/config/options', JSON.stringify({ urURL: 'nul\u0000' }), /options\.urURL: contains U\+0000/],
    ['/rest/config/gui', JSON.stringify({ theme: 'x\uFFFE' }), /gui\.theme: contains U\+FFFE/],
    ['/rest/config/options', '{"urURL": "half \\ud800 a pair"}', /options\.urURL: contains U\+D800/],
    ['/rest/config/options', '{"listenAddresses": ["ok", "bad\\u001b"]}', /options\.listenAddresses\[1\]: contains U\+001B/],
  ];
  for (const [route, body, want] of cases) {
    const res = await s.req(route, { method: 'PATCH', body });
    assert.equal(res.status, 400, body);
    assert.match(await res.text(), want);
  }
  assert.equal(await fs.readFile(file, 'utf8'), before, 'nothing was written');
});

test('CR LF, CR, TAB, LF in attributes, markup characters and emoji read back exactly after a restart', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const dir = path.join(s.home, '..', 'f');
  await fs.mkdir(dir, { recursive: true });
  const label = 'line one\r\nline two\rthree\tfour\n<five> & "six" \'seven\' 😀 ]]>';
  const id = 'id with\ttab and\nnewline';
  const res = await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id, label, path: dir, fsWatcherEnabled: false }) });
  assert.equal(res.status, 200, await res.text());
  const xml = await fs.readFile(path.join(s.home, 'config.xml'), 'utf8');
  assert.equal(XMLValidator.validate(xml), true);
  assert.ok(xml.includes('&#xD;'), 'CR is written as a character reference');
  await s.app.restart();
  const folders = (await s.json('/rest/config/folders')) as { id: string; label: string }[];
  const f = folders.find((x) => x.id === id);
  assert.ok(f, 'the id came back exactly');
  assert.equal(f.label, label);
});
