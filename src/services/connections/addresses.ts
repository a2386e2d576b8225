/**
 * Device addresses as Syncthing writes them (bep.md §2.1): `tcp://host:port` (also tcp4://,
 * tcp6://, and without a port: 22000), `default` for listening, `dynamic` for dialling through
 * discovery. Only TCP exists here: QUIC, relays and discovery are named, and refused, so that a
 * status can say so instead of pretending.
 */

export const DEFAULT_PORT = 22000;

export interface TcpAddress {
  /** The address as configured, for status maps and logs. */
  url: string;
  /** A literal host (an IPv6 one without brackets), or '' for every interface. */
  host: string;
  port: number;
  family?: 4 | 6;
}

export type Parsed = { ok: TcpAddress } | { unsupported: string };

/** One address from listenAddresses or a device's addresses. */
export function parseAddress(url: string): Parsed {
  const m = /^(tcp[46]?):\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d+))?\/?(?:\?.*)?$/i.exec(url.trim());
  if (!m) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    return { unsupported: scheme ? `${scheme} is not supported (TCP only)` : `not an address: ${JSON.stringify(url)}` };
  }
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = m[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (port > 65535) return { unsupported: `port ${port} out of range` };
  const family = scheme === 'tcp4' ? 4 : scheme === 'tcp6' ? 6 : undefined;
  return { ok: { url, host, port, ...(family ? { family } : {}) } };
}

/** What listenAddresses asks to listen on: `default` is Syncthing's tcp://0.0.0.0:22000 (its QUIC and relay parts are not supported here). */
export function listenTargets(listen: readonly string[]): { targets: TcpAddress[]; unsupported: Record<string, string> } {
  const targets: TcpAddress[] = [];
  const unsupported: Record<string, string> = {};
  const seen = new Set<string>();
  for (const raw of listen) {
    if (raw === 'default') {
      for (const u of ['tcp://0.0.0.0:22000']) if (!seen.has(u)) (seen.add(u), targets.push(parseAddressOk(u)));
      unsupported['quic://0.0.0.0:22000'] = 'quic is not supported (TCP only)';
      unsupported['dynamic+https://relays.syncthing.net/endpoint'] = 'relays are not supported';
      continue;
    }
    const p = parseAddress(raw);
    if ('ok' in p) {
      if (!seen.has(raw)) (seen.add(raw), targets.push(p.ok));
    } else unsupported[raw] = p.unsupported;
  }
  return { targets, unsupported };
}

function parseAddressOk(u: string): TcpAddress {
  const p = parseAddress(u);
  if (!('ok' in p)) throw new Error(u);
  return p.ok;
}

/** The addresses of a device that can be dialled now (static TCP ones); `dynamic` and others are skipped. */
export function dialTargets(addresses: readonly string[]): TcpAddress[] {
  const out: TcpAddress[] = [];
  for (const a of addresses) {
    if (a === 'dynamic') continue;
    const p = parseAddress(a);
    if ('ok' in p && p.ok.host !== '' && p.ok.host !== '0.0.0.0' && p.ok.host !== '::') out.push(p.ok);
  }
  return out;
}
