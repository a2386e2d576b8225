// Calls to the service the way Syncthing's GUI makes them: relative URLs (so a base URL works),
// the CSRF token from its cookie in the X-CSRF-Token-<short ID> header, JSON both ways.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onSignedOut = () => {};
/** What to do when the service says we are no longer signed in (403/401): back to the form. */
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

function csrfHeader() {
  const meta = window.metadata;
  if (!meta) return {};
  const name = 'CSRF-Token-' + meta.deviceIDShort;
  const cookie = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return cookie ? { ['X-' + name]: cookie.slice(name.length + 1) } : {};
}

/** One call; resolves to parsed JSON (or null for an empty body), rejects with ApiError carrying the server's text. */
export async function api(method, path, body, opts = {}) {
  const headers = { ...csrfHeader() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch('rest/' + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: opts.signal,
  });
  const text = await res.text();
  if (res.status === 401 || (res.status === 403 && /^(CSRF Error|Forbidden)/.test(text))) {
    onSignedOut();
    throw new ApiError(res.status, 'Not signed in');
  }
  if (!res.ok) throw new ApiError(res.status, text.trim() || res.statusText);
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const q = encodeURIComponent;
