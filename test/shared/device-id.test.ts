import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDeviceId, luhnBase32, parseDeviceId, shortDeviceId } from '../../src/shared/device-id.js';

const LIVE = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';

test('LocalDeviceID (all 0xFF) renders exactly as Syncthing prints it', () => {
  assert.equal(formatDeviceId(new Uint8Array(32).fill(0xff)), '7777777-777777N-7777777-777777N-7777777-777777N-7777777-77777Q4');
});

test('the all-zero ID renders as the empty string', () => {
  assert.equal(formatDeviceId(new Uint8Array(32)), '');
});

test('check characters of a live ID verify', () => {
  const plain = LIVE.replace(/-/g, '');
  for (let i = 0; i < 4; i++) assert.equal(luhnBase32(plain.slice(i * 14, i * 14 + 13)), plain[i * 14 + 13]);
});

test('every accepted spelling parses to the canonical form (spec §8.3)', () => {
  const cases = [
    LIVE,
    LIVE.toLowerCase(),
    LIVE.replace(/-/g, ''),
    LIVE.replace(/-/g, ' '),
    LIVE + '====',
    '==' + LIVE,
    'AQDPWHFBT27CRMBN2PMGXFAMO4TTGXW6BHTAZEL4JOGVPJA6AAAA', // 52 characters, no check digits
    'AQDPWHFBT27CRMBN2PMGXFAMO4TTGXW6BHTAZEL4JOGVPJA6AAAB', // lenient last character
    'aqdpwhf-bt27crx-mbn2pmg-xfamo4l-ttgxw6b-htazelq-4jogvpj-a6aaaa6'.replace('o', '0'), // 0 → O
  ];
  for (const c of cases) assert.equal(parseDeviceId(c), LIVE, c);
});

test('parse errors carry Syncthing\'s exact texts', () => {
  const err = (input: string) => {
    try {
      parseDeviceId(input);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(err(LIVE.slice(0, -1) + '7'), '"AQDPWHFBT27CRXMBN2PMGXFAMO4LTTGXW6BHTAZELQ4JOGVPJA6AAAA7": check digit incorrect');
  assert.equal(err(LIVE.slice(0, -1) + '!'), '"AQDPWHFBT27CRXMBN2PMGXFAMO4LTTGXW6BHTAZELQ4JOGVPJA6AAAA!": check digit incorrect');
  assert.equal(err('AQDPWH!' + LIVE.slice(7)), 'digit \'!\' not valid in alphabet "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"');
  assert.equal(err('abc'), '"abc": device ID invalid: incorrect length');
  assert.equal(err('abc-def'), '"abc-def": device ID invalid: incorrect length');
  assert.equal(err('"quoted"'), '"\\"quoted\\"": device ID invalid: incorrect length');
  assert.equal(err('été'), '"été": device ID invalid: incorrect length');
  assert.equal(err('AQDPWHFBT27CRMBN2PMGXFAMO4TTGXW6BHTAZEL4JOGVPJA6AAA!'), 'illegal base32 data at input byte 51');
  assert.equal(parseDeviceId(''), '');
});

test('short ID is the first 7 characters', () => {
  assert.equal(shortDeviceId(LIVE), 'AQDPWHF');
});
