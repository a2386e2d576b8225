/**
 * Go's time.ParseDuration, which is how Syncthing reads `duration` query values: an optional
 * sign, then one or more decimal numbers each with a unit (ns, us, µs, ms, s, m, h), e.g.
 * "1h30m", "-1.5s"; a bare "0" is allowed. Returns milliseconds, or undefined when it does not parse.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseGoDuration(text: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(text)!;
  const sign = m[1] === '-' ? -1 : 1;
  const rest = m[2]!;
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < rest.length) {
    part.lastIndex = at;
    const p = part.exec(rest);
    if (!p) return undefined;
    total += Number(p[1]) * UNIT_MS[p[2]!]!;
    at = part.lastIndex;
  }
  return sign * total;
}
