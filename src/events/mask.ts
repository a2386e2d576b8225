import { EVENT_TYPES, type EventType } from './types.js';

/** A set of event types as a bit mask; bigint because there are more than 32 types. */
export type EventMask = bigint;

const bit = (t: EventType): bigint => 1n << BigInt(EVENT_TYPES.indexOf(t));

export const ALL_EVENTS: EventMask = (1n << BigInt(EVENT_TYPES.length)) - 1n;

/** /rest/events/disk: the two change events only. */
export const DISK_EVENTS: EventMask = bit('LocalChangeDetected') | bit('RemoteChangeDetected');

/** /rest/events without events=: everything but the noisy disk events. */
export const DEFAULT_EVENTS: EventMask = ALL_EVENTS & ~DISK_EVENTS;

export function maskOf(type: EventType): EventMask {
  return bit(type);
}

/** The names in an `events=` value that are no event type (what a strict reader rejects). */
export function unknownEventNames(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !EVENT_TYPES.includes(s as EventType));
}

/**
 * The mask for an `events=` value: comma-separated, trimmed, case-sensitive names. Unknown names
 * add nothing, so a list of only unknown names is the empty mask, which never matches.
 * An empty value means the default mask.
 */
export function parseEventMask(value: string | undefined): EventMask {
  if (value === undefined || value.trim() === '') return DEFAULT_EVENTS;
  let mask = 0n;
  for (const name of value.split(',')) {
    const i = EVENT_TYPES.indexOf(name.trim() as EventType);
    if (i >= 0) mask |= 1n << BigInt(i);
  }
  return mask;
}
