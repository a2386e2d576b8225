import type { RemovalRule } from './clean.js';
import { parseTag, untagFilename } from './tag.js';
import { intParam, taggedVersioner } from './tagged-versioner.js';
import type { StoreDeps, Versioner } from './versioner.js';

/** Up to `end` seconds of age, keep one version per `step` seconds. */
interface Interval {
  step: number;
  end: number;
}

const DEFAULT_MAX_AGE_S = 365 * 86_400;

/**
 * The staggered steps: 30 s for the first hour, an hour for the first day, a day for the first
 * 30 days, then a week up to maxAge (0 = forever). Syncthing's source ends the day step at
 * 592,000 s (a typo for 2,592,000); the documented 30 days is what users expect.
 */
export function staggeredIntervals(maxAgeS: number): Interval[] {
  return [
    { step: 30, end: 3600 },
    { step: 3600, end: 86_400 },
    { step: 86_400, end: 30 * 86_400 },
    { step: 7 * 86_400, end: maxAgeS },
  ];
}

/** Walk from oldest to newest: drop what is past maxAge, and what is closer than one step to the last kept version. */
export function staggeredRule(maxAgeS: number): RemovalRule {
  const intervals = staggeredIntervals(maxAgeS);
  const last = intervals[intervals.length - 1]!;
  return (versions, nowMs) => {
    const remove: string[] = [];
    let prevAge: number | undefined;
    for (const v of versions) {
      const at = parseTag(untagFilename(v)?.tag ?? '');
      if (at === undefined) continue;
      const age = Math.floor((nowMs - at) / 1000);
      if (last.end > 0 && age > last.end) {
        remove.push(v);
        continue;
      }
      if (prevAge === undefined) {
        prevAge = age;
        continue;
      }
      const step = (intervals.find((i) => age < i.end) ?? last).step;
      if (prevAge - age < step) {
        remove.push(v);
        continue;
      }
      prevAge = age;
    }
    return remove;
  };
}

/** "Staggered File Versioning": tagged copies thinned out as they age. */
export function staggeredVersioner(d: StoreDeps, params: Record<string, string>): Versioner {
  return taggedVersioner('staggered', d, staggeredRule(intParam(params, 'maxAge', DEFAULT_MAX_AGE_S)));
}
