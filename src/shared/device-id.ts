import { createHash } from 'node:crypto';
import { AppError } from './errors.js';

/**
 * Syncthing device IDs (spec rest-api §8): SHA-256 of the certificate's DER bytes, base32 without
 * padding, a check character after each 13-character group (Syncthing's own base-32 Luhn variant),
 * then dashes after every 7 characters.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The 32-byte ID of a DER-encoded certificate. */
export function deviceIdFromCertificate(der: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(der).digest());
}

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function base32Decode32(text: string): Uint8Array {
  const out = new Uint8Array(32);
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const v = ALPHABET.indexOf(text[i]!);
    if (v < 0) throw new AppError('invalid', `illegal base32 data at input byte ${i}`);
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8 && o < 32) {
      out[o++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

/** Syncthing's check character for one 13-character group. */
export function luhnBase32(group: string): string {
  let factor = 1;
  let sum = 0;
  for (const ch of group) {
    const code = ALPHABET.indexOf(ch);
    if (code < 0) throw new AppError('invalid', `digit '${ch}' not valid in alphabet "${ALPHABET}"`);
    let addend = factor * code;
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!;
}

/** The canonical 63-character form (8 groups of 7); the all-zero ID renders as "". */
export function formatDeviceId(id: Uint8Array): string {
  if (id.every((b) => b === 0)) return '';
  const plain = base32Encode(id);
  let withCheck = '';
  for (let i = 0; i < 4; i++) {
    const group = plain.slice(i * 13, i * 13 + 13);
    withCheck += group + luhnBase32(group);
  }
  return withCheck.match(/.{7}/g)!.join('-');
}

/** Go's %q for a string: double quotes with `"` and `\` escaped, printable Unicode kept. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Parses any accepted spelling of a device ID into its canonical form. Throws AppError('invalid')
 * with Syncthing's exact message. The empty string is the valid empty ID.
 */
export function parseDeviceId(input: string): string {
  let s = input.replace(/^=+|=+$/g, '').toUpperCase();
  s = s.replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B');
  s = s.replace(/[- ]/g, '');
  if (s.length === 0) return '';
  if (s.length === 56) {
    let data = '';
    for (let i = 0; i < 4; i++) {
      const group = s.slice(i * 14, i * 14 + 13);
      const check = s[i * 14 + 13];
      if (luhnBase32(group) !== check) throw new AppError('invalid', `${goQuote(s)}: check digit incorrect`);
      data += group;
    }
    return formatDeviceId(base32Decode32(data));
  }
  if (s.length === 52) return formatDeviceId(base32Decode32(s));
  throw new AppError('invalid', `${goQuote(input)}: device ID invalid: incorrect length`);
}

/** The 7-character short ID used in cookie and header names, and wherever REST prints a ShortID. */
export function shortDeviceId(canonical: string): string {
  return canonical.slice(0, 7);
}

/**
 * The full 64-bit ShortID of a device as the index keeps it in version vectors and modifiedBy:
 * 16 lowercase hex digits, so that text order is numeric order (Syncthing sorts counters by it).
 */
export function fullShortId(canonical: string): string {
  return Buffer.from(deviceIdBytes(canonical).subarray(0, 8)).toString('hex');
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A full ShortID (16 hex digits) as REST prints it: its first 35 bits in base32, Syncthing's ShortID.String(). */
export function shortIdText(full: string): string {
  if (full.length !== 16) return full;
  const v = BigInt('0x' + full);
  let out = '';
  for (let i = 0; i < 7; i++) out += B32[Number((v >> BigInt(59 - 5 * i)) & 31n)];
  return out;
}

/** The 16-hex-digit form of a wire ShortID. */
export const shortIdHex = (v: bigint): string => v.toString(16).padStart(16, '0');
/** The wire ShortID of a 16-hex-digit form. */
export const shortIdValue = (full: string): bigint => BigInt('0x' + full);

/**
 * The full form of a 7-character ShortID written before the index kept 64 bits: the device's own
 * when it is one we know, else its 35 bits followed by zeros (it prints the same either way).
 */
export function widenShortId(short7: string, known: readonly string[]): string {
  const hit = known.find((id) => id.startsWith(short7));
  if (hit) return fullShortId(hit);
  let v = 0n;
  for (const ch of short7.slice(0, 7).padEnd(7, 'A')) v = (v << 5n) | BigInt(Math.max(0, B32.indexOf(ch)));
  return shortIdHex(v << 29n);
}

/** The 32 bytes of a canonical device ID (what ClusterConfig carries). */
export function deviceIdBytes(canonical: string): Uint8Array {
  const plain = canonical.replace(/-/g, '');
  if (plain.length !== 56) throw new AppError('invalid', `${goQuote(canonical)}: device ID invalid: incorrect length`);
  let data = '';
  for (let i = 0; i < 4; i++) data += plain.slice(i * 14, i * 14 + 13);
  return base32Decode32(data);
}

/** The 64-bit ShortID of a device (its first 8 bytes, big-endian), as BEP version vectors and modified_by carry it. */
export function shortIdOf(id: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(id[i]!);
  return v;
}
