/**
 * The syntax error Go's encoding/json reports for a body, word for word ("invalid character 'b'
 * looking for beginning of object key string", "unexpected end of JSON input"), so that clients
 * which show or match Syncthing's messages see the same ones. A byte-at-a-time state machine
 * after Go's scanner: linear, no recursion, nesting kept as a stack of small integers.
 * Returns undefined when the text is valid JSON.
 */

const enum Ctx {
  ObjectKey,
  ObjectValue,
  ArrayValue,
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: the byte as a quoted Go character literal. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // A byte >= 0x80 is quoted as the rune of the same number (Go's string(byte)).
  if (c >= 0x80 && c < 0xa0) return `'\\u00${c.toString(16)}'`;
  if (c === 0xad) return `'\\u00ad'`;
  return `'${String.fromCharCode(c)}'`;
}

type State =
  | 'beginValue'
  | 'beginValueOrEmpty'
  | 'beginStringOrEmpty'
  | 'beginString'
  | 'endValue'
  | 'endTop'
  | 'inString'
  | 'inStringEsc'
  | 'u0'
  | 'u1'
  | 'u2'
  | 'u3'
  | 'neg'
  | 'one'
  | 'zero'
  | 'dot'
  | 'dot0'
  | 'e'
  | 'eSign'
  | 'e0'
  | 'lit';

const MAX_DEPTH = 10000;

export function goJsonSyntaxError(text: string | Uint8Array): string | undefined {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const stack: Ctx[] = [];
  let state = 'beginValue' as State;
  // For true/false/null: the letters still expected and the literal's name.
  let lit = '';
  let litName = '';
  const fail = (c: number, context: string) => `invalid character ${quoteChar(c)} ${context}`;

  // One byte through the machine; a string is an error, undefined goes on. Some states hand the
  // byte on to another (the end of a number is the start of what follows), hence the loop.
  const step = (c: number): string | undefined => {
    for (;;) {
      switch (state) {
        case 'beginValueOrEmpty':
          if (isSpace(c)) return;
          if (c === 0x5d) {
            state = 'endValue';
            continue;
          }
          state = 'beginValue';
          continue;
        case 'beginValue':
          if (isSpace(c)) return;
          if (c === 0x7b) {
            if (stack.length >= MAX_DEPTH) return 'exceeded max depth';
            stack.push(Ctx.ObjectKey);
            state = 'beginStringOrEmpty';
          } else if (c === 0x5b) {
            if (stack.length >= MAX_DEPTH) return 'exceeded max depth';
            stack.push(Ctx.ArrayValue);
            state = 'beginValueOrEmpty';
          } else if (c === 0x22) state = 'inString';
          else if (c === 0x2d) state = 'neg';
          else if (c === 0x30) state = 'zero';
          else if (c >= 0x31 && c <= 0x39) state = 'one';
          else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            litName = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
            lit = litName.slice(1);
            state = 'lit';
          } else return fail(c, 'looking for beginning of value');
          return;
        case 'beginStringOrEmpty':
          if (isSpace(c)) return;
          if (c === 0x7d) {
            stack[stack.length - 1] = Ctx.ObjectValue;
            state = 'endValue';
            continue;
          }
          state = 'beginString';
          continue;
        case 'beginString':
          if (isSpace(c)) return;
          if (c === 0x22) {
            state = 'inString';
            return;
          }
          return fail(c, 'looking for beginning of object key string');
        case 'endValue': {
          if (stack.length === 0) {
            state = 'endTop';
            continue;
          }
          if (isSpace(c)) return;
          const top = stack[stack.length - 1]!;
          if (top === Ctx.ObjectKey) {
            if (c === 0x3a) {
              stack[stack.length - 1] = Ctx.ObjectValue;
              state = 'beginValue';
              return;
            }
            return fail(c, 'after object key');
          }
          if (top === Ctx.ObjectValue) {
            if (c === 0x2c) {
              stack[stack.length - 1] = Ctx.ObjectKey;
              state = 'beginString';
              return;
            }
            if (c === 0x7d) {
              stack.pop();
              return; // stays endValue
            }
            return fail(c, 'after object key:value pair');
          }
          if (c === 0x2c) {
            state = 'beginValue';
            return;
          }
          if (c === 0x5d) {
            stack.pop();
            return;
          }
          return fail(c, 'after array element');
        }
        case 'endTop':
          if (isSpace(c)) return;
          return fail(c, 'after top-level value');
        case 'inString':
          if (c === 0x22) state = 'endValue';
          else if (c === 0x5c) state = 'inStringEsc';
          else if (c < 0x20) return fail(c, 'in string literal');
          return;
        case 'inStringEsc':
          if ([0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22].includes(c)) state = 'inString';
          else if (c === 0x75) state = 'u0';
          else return fail(c, 'in string escape code');
          return;
        case 'u0':
        case 'u1':
        case 'u2':
        case 'u3':
          if (!isHex(c)) return fail(c, 'in \\u hexadecimal character escape');
          state = state === 'u0' ? 'u1' : state === 'u1' ? 'u2' : state === 'u2' ? 'u3' : 'inString';
          return;
        case 'neg':
          if (c === 0x30) state = 'zero';
          else if (c >= 0x31 && c <= 0x39) state = 'one';
          else return fail(c, 'in numeric literal');
          return;
        case 'one':
          if (isDigit(c)) return;
          state = 'zero';
          continue;
        case 'zero':
          if (c === 0x2e) state = 'dot';
          else if (c === 0x65 || c === 0x45) state = 'e';
          else {
            state = 'endValue';
            continue;
          }
          return;
        case 'dot':
          if (!isDigit(c)) return fail(c, 'after decimal point in numeric literal');
          state = 'dot0';
          return;
        case 'dot0':
          if (isDigit(c)) return;
          if (c === 0x65 || c === 0x45) {
            state = 'e';
            return;
          }
          state = 'endValue';
          continue;
        case 'e':
          if (c === 0x2b || c === 0x2d) {
            state = 'eSign';
            return;
          }
          state = 'eSign';
          continue;
        case 'eSign':
          if (!isDigit(c)) return fail(c, 'in exponent of numeric literal');
          state = 'e0';
          return;
        case 'e0':
          if (isDigit(c)) return;
          state = 'endValue';
          continue;
        case 'lit':
          if (c !== lit.charCodeAt(0)) return fail(c, `in literal ${litName} (expecting ${quoteChar(lit.charCodeAt(0))})`);
          lit = lit.slice(1);
          if (lit === '') state = 'endValue';
          return;
      }
    }
  };

  for (const c of bytes) {
    const err = step(c);
    if (err) return err;
  }
  // Go's eof(): one space is fed through, which ends a number or trips an unfinished literal or
  // escape ("invalid character ' ' in literal null (expecting 'l')"); what is still open after
  // that is the end of input.
  if (state === 'endTop') return undefined;
  const err = step(0x20);
  if (err) return err;
  if ((state as State) === 'endTop') return undefined;
  return 'unexpected end of JSON input';
}
