import { AppError } from '../shared/errors.js';

/**
 * A folder-relative path from a request (file=, prefix=, sub=): `/`-separated, no leading or
 * trailing slash. Absolute paths, `..` segments and NUL bytes are refused: nothing a client sends
 * may name anything outside the folder.
 */
export function cleanRelPath(input: string, what: string): string {
  if (input.includes('\0')) throw new AppError('invalid', `invalid ${what}: contains a NUL byte`);
  if (input.startsWith('/') || /^[A-Za-z]:[\\/]/.test(input)) throw new AppError('invalid', `invalid ${what} ${JSON.stringify(input)}: must be relative to the folder`);
  const parts = input.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new AppError('invalid', `invalid ${what} ${JSON.stringify(input)}: must not contain ".."`);
  return parts.join('/').normalize('NFC');
}
