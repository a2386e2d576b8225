import { AppError } from '../shared/errors.js';

/**
 * A path prefix for the GUI and API behind a reverse proxy (--gui-baseurl or gui.baseUrl), as
 * "/prefix/": it must start with a slash; the trailing slash is added; "" and "/" mean none.
 * Refused: empty, `.` or `..` segments, doubled slashes, backslashes, `?`, `#`, `%`, spaces and
 * control characters — anything a proxy and this server could read two ways.
 */
export function normalizeBaseUrl(text: string): string {
  if (text === '' || text === '/') return '/';
  if (!text.startsWith('/')) throw new AppError('invalid', `base URL ${JSON.stringify(text)} must start with "/", e.g. /synchro/`);
  if (/[?#%\\\s\u0000-\u001f\u007f]/.test(text)) throw new AppError('invalid', `base URL ${JSON.stringify(text)} may not hold ?, #, %, \\, spaces or control characters`);
  const segments = text.replace(/\/$/, '').slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new AppError('invalid', `base URL ${JSON.stringify(text)} may not have empty, "." or ".." segments`);
  return `/${segments.join('/')}/`;
}
