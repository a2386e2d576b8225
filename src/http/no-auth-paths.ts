/** Paths an unauthenticated browser may load (spec rest-api §3.2, v2): the GUI shell and the login endpoints. */
const EXACT = new Set(['/', '/index.html', '/modal.html', '/rest/svc/lang']);
const PREFIXES = ['/assets/', '/syncthing/', '/vendor/', '/theme-assets/', '/rest/noauth'];

export function isNoAuthPath(path: string, metricsWithoutAuth: boolean): boolean {
  if (EXACT.has(path)) return true;
  if (metricsWithoutAuth && path === '/metrics') return true;
  return PREFIXES.some((p) => path.startsWith(p));
}
