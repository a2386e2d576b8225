import path from 'node:path';
import { AppError } from '../shared/errors.js';

/**
 * A folder-relative path from a request (file=, prefix=, sub=), made canonical as Syncthing's
 * fs.Canonicalize does: cleaned (`a/./b`, `a//b`, `a/x/../b` are `a/b`), and a leading `/` means
 * the folder's root (so `/docs` is `docs`, which `syncthingctl` sends from a sub-directory). What
 * would still leave the folder — `..` at the start once cleaned, `//` at the start, a drive
 * letter, a NUL byte — is refused. Returns `/`-separated NFC, "" for the root.
 */
export function cleanRelPath(input: string, what: string): string {
  if (input.includes('\0')) throw new AppError('invalid', `invalid ${what}: contains a NUL byte`);
  if (input.startsWith('//') || /^[A-Za-z]:[\\/]/.test(input)) throw new AppError('invalid', `invalid ${what} ${JSON.stringify(input)}: must be relative to the folder`);
  const cleaned = path.posix.normalize(input === '' ? '.' : input);
  if (cleaned === '..' || cleaned.startsWith('../')) throw new AppError('invalid', `invalid ${what} ${JSON.stringify(input)}: must not contain ".."`);
  const rel = cleaned.replace(/^\/+/, '').replace(/\/+$/, '');
  if (rel === '.' || rel === '') return '';
  // normalize leaves a leading "../" only when it escapes; one after a leading "/" is clamped at the root by posix rules.
  if (rel.split('/').includes('..')) throw new AppError('invalid', `invalid ${what} ${JSON.stringify(input)}: must not contain ".."`);
  return rel.normalize('NFC');
}
