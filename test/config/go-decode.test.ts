import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStruct, decodeStructArray } from '../../src/config/go-decode.js';
import { defaultsOf, FOLDER } from '../../src/config/schema.js';

const folder = () => defaultsOf(FOLDER);

test('field names match case-insensitively; unknown fields are ignored', () => {
  const f = folder();
  decodeStruct(FOLDER, f, { ID: 'casefold', PATH: '/p', Label: 'L', bogus: 1 });
  assert.equal(f.id, 'casefold');
  assert.equal(f.path, '/p');
  assert.equal(f.label, 'L');
  assert.equal('bogus' in f, false);
});

test('type mismatches fail with Go\'s message', () => {
  assert.throws(
    () => decodeStruct(FOLDER, folder(), { rescanIntervalS: 'x' }),
    { message: 'json: cannot unmarshal string into Go struct field FolderConfiguration.rescanIntervalS of type int' },
  );
  assert.throws(() => decodeStruct(FOLDER, folder(), { rescanIntervalS: 1.5 }), /cannot unmarshal number 1.5 into Go struct field FolderConfiguration.rescanIntervalS of type int/);
  assert.throws(() => decodeStruct(FOLDER, folder(), [1]), { message: 'json: cannot unmarshal array into Go value of type config.FolderConfiguration' });
  assert.throws(() => decodeStruct(FOLDER, folder(), { versioning: 5 }), /of type config.VersioningConfiguration/);
  assert.throws(() => decodeStructArray(FOLDER, { id: 'x' }), { message: 'json: cannot unmarshal object into Go value of type []config.FolderConfiguration' });
});

test('PATCH merge rules: nested objects and maps merge, arrays replace, null clears only arrays and maps', () => {
  const f = folder();
  decodeStruct(FOLDER, f, { versioning: { type: 'simple', params: { keep: '5', other: 'x' } } });
  decodeStruct(FOLDER, f, { versioning: { params: { keep: '9' } }, label: null, devices: [{ deviceID: '' }] });
  const v = f.versioning as { type: string; params: Record<string, string>; cleanupIntervalS: number };
  assert.equal(v.type, 'simple', 'nested fields not named are kept');
  assert.deepEqual(v.params, { keep: '9', other: 'x' }, 'map keys merge');
  assert.equal(f.label, '', 'null leaves a scalar alone');
  assert.equal((f.devices as unknown[]).length, 1, 'arrays are replaced');
  decodeStruct(FOLDER, f, { versioning: { params: null }, devices: null });
  assert.deepEqual((f.versioning as { params: object }).params, {});
  assert.deepEqual(f.devices, []);
});

test('enums take aliases and fall back to the default for unknown names', () => {
  const f = folder();
  decodeStruct(FOLDER, f, { type: 'readwrite' });
  assert.equal(f.type, 'sendreceive');
  decodeStruct(FOLDER, f, { type: 'receiveonly' });
  assert.equal(f.type, 'receiveonly');
  decodeStruct(FOLDER, f, { type: 'nonsense' });
  assert.equal(f.type, 'sendreceive');
});
