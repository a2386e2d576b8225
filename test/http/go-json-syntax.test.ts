import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goJsonSyntaxError } from '../../src/http/go-json-syntax.js';

// Go's encoding/json messages for these inputs (scanner.go's contexts).
const VECTORS: [string, string | undefined][] = [
  ['{bad', "invalid character 'b' looking for beginning of object key string"],
  ['{"id": "x",}', "invalid character '}' looking for beginning of object key string"],
  ['x', "invalid character 'x' looking for beginning of value"],
  ["'", "invalid character '\\'' looking for beginning of value"],
  ['{"a" 1}', "invalid character '1' after object key"],
  ['{"a":1 "b"}', `invalid character '"' after object key:value pair`],
  ['[1 2]', "invalid character '2' after array element"],
  ['1 2', "invalid character '2' after top-level value"],
  ['01', "invalid character '1' after top-level value"],
  ['"\u0001"', "invalid character '\\x01' in string literal"],
  ['"\n"', "invalid character '\\n' in string literal"],
  ['"\\x"', "invalid character 'x' in string escape code"],
  ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
  ['-x', "invalid character 'x' in numeric literal"],
  ['1.x', "invalid character 'x' after decimal point in numeric literal"],
  ['1e+x', "invalid character 'x' in exponent of numeric literal"],
  ['{"a": tru}', "invalid character '}' in literal true (expecting 'e')"],
  ['fals0', "invalid character '0' in literal false (expecting 'e')"],
  ['nUll', "invalid character 'U' in literal null (expecting 'u')"],
  ['', 'unexpected end of JSON input'],
  ['  \n', 'unexpected end of JSON input'],
  ['[1,', 'unexpected end of JSON input'],
  ['{"a":', 'unexpected end of JSON input'],
  ['"open', 'unexpected end of JSON input'],
  // At the end Go feeds one space through: an unfinished literal, number or escape trips on it.
  ['nul', "invalid character ' ' in literal null (expecting 'l')"],
  ['1.', "invalid character ' ' after decimal point in numeric literal"],
  ['-', "invalid character ' ' in numeric literal"],
  ['1e', "invalid character ' ' in exponent of numeric literal"],
  ['"\\u12', "invalid character ' ' in \\u hexadecimal character escape"],
  ['"\\', "invalid character ' ' in string escape code"],
  ['[1', 'unexpected end of JSON input'],
  ['{}', undefined],
  [' [1, -0.5e-3, "a\\u00e9", true, false, null, {"k": []}] ', undefined],
  ['7', undefined],
];

test("Go's JSON syntax errors, word for word", () => {
  for (const [input, want] of VECTORS) assert.equal(goJsonSyntaxError(input), want, JSON.stringify(input));
});

test('valid exactly when JSON.parse accepts (random near-JSON inputs)', () => {
  const alphabet = ['{', '}', '[', ']', ':', ',', '"', '\\', 'u', '0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'r', 'f', 'a', 'l', 's', 'n', ' ', '\n', 'x', '\u0001', 'é'];
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const samples = ['{"a": [1, 2.5e-3, -0], "b": {"c": "d\\u00e9\\n"}}', '[true, false, null, ""]', '"x"', '12', '{}', '[[]]', '{"k": {"l": [{"m": 1}]}}'];
  let valid = 0;
  for (let i = 0; i < 20000; i++) {
    let s = i % 2 ? samples[rnd(samples.length)]! : '';
    const edits = i % 2 ? rnd(3) : 12;
    for (let j = 0; j < edits; j++) {
      const at = rnd(s.length + 1);
      const op = i % 2 ? rnd(3) : 0;
      const ch = alphabet[rnd(alphabet.length)]!;
      s = op === 0 ? s.slice(0, at) + ch + s.slice(at) : op === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + ch + s.slice(at + 1);
    }
    let ok = true;
    try {
      JSON.parse(s);
    } catch {
      ok = false;
    }
    if (ok) valid++;
    assert.equal(goJsonSyntaxError(s) === undefined, ok, JSON.stringify(s));
  }
  assert.ok(valid > 100, `${valid} valid inputs among the random ones`);
});
