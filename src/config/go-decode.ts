import { AppError } from '../shared/errors.js';
import { parseDeviceId } from '../shared/device-id.js';
import { defaultsOf, type Field, type StructSchema } from './schema.js';

/**
 * Decodes parsed JSON into an existing value the way Go's encoding/json does for Syncthing's
 * config handlers (spec rest-api §2.2): field names match exactly first, then case-insensitively;
 * unknown fields are ignored; nested objects and maps merge; arrays are replaced; `null` leaves a
 * scalar or struct alone and empties an array or map; a type mismatch is an error with Go's text.
 */

export interface DecodeOptions {
  /** Starting value for each new element of a struct array (default: the schema's defaults). */
  elementStart?: (schema: StructSchema) => Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string | number | object
}

function goTypeOf(fld: Field): string {
  switch (fld.kind) {
    case 'string':
      return 'string';
    case 'deviceid':
      return 'protocol.DeviceID';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'enum':
      return fld.goType;
    case 'strings':
      return '[]string';
    case 'map':
      return 'map[string]string';
    case 'struct':
      return fld.schema.goName;
    case 'structs':
      return '[]' + fld.schema.goName;
  }
}

const shortName = (goName: string): string => goName.slice(goName.indexOf('.') + 1);

function mismatch(value: unknown, goType: string, where: { struct: string; path: string[] } | undefined): AppError {
  const what = typeof value === 'number' ? `number ${value}` : jsonKind(value);
  const target = where ? `Go struct field ${where.struct}.${where.path.join('.')}` : 'Go value';
  return new AppError('invalid', `json: cannot unmarshal ${what} into ${target} of type ${goType}`);
}

/** Each schema's fields by exact and by lower-case name, built once: an object with 300,000 keys must not cost 300,000 × fields. */
const lookups = new WeakMap<StructSchema, { exact: Map<string, Field>; folded: Map<string, Field> }>();

function findField(schema: StructSchema, key: string): Field | undefined {
  let l = lookups.get(schema);
  if (!l) {
    l = { exact: new Map(), folded: new Map() };
    for (const f of schema.fields) {
      l.exact.set(f.name, f);
      if (!l.folded.has(f.name.toLowerCase())) l.folded.set(f.name.toLowerCase(), f);
    }
    lookups.set(schema, l);
  }
  return l.exact.get(key) ?? l.folded.get(key.toLowerCase());
}

/** Decodes `json` into `target` (mutated) as a value of `schema`. */
export function decodeStruct(
  schema: StructSchema,
  target: Record<string, unknown>,
  json: unknown,
  opts: DecodeOptions = {},
  path: string[] = [],
): void {
  if (json === null) return;
  if (typeof json !== 'object' || Array.isArray(json)) {
    throw mismatch(json, schema.goName, path.length ? { struct: shortName(schema.goName), path } : undefined);
  }
  for (const [key, value] of Object.entries(json as Record<string, Json>)) {
    const fld = findField(schema, key);
    if (!fld) continue;
    target[fld.name] = decodeField(fld, target[fld.name], value, opts, { struct: shortName(schema.goName), path: [...path, fld.name] });
  }
}

/** Decodes a JSON array into a fresh array of `schema` values (a whole-list replace). */
export function decodeStructArray(schema: StructSchema, json: unknown, opts: DecodeOptions = {}): Record<string, unknown>[] {
  if (json === null) return [];
  if (!Array.isArray(json)) throw mismatch(json, '[]' + schema.goName, undefined);
  return json.map((el) => {
    const start = opts.elementStart?.(schema) ?? defaultsOf(schema);
    decodeStruct(schema, start, el, opts);
    return start;
  });
}

function decodeField(fld: Field, current: unknown, value: unknown, opts: DecodeOptions, where: { struct: string; path: string[] }): unknown {
  const fail = (): AppError => mismatch(value, goTypeOf(fld), where);
  switch (fld.kind) {
    case 'string':
      if (value === null) return current;
      if (typeof value !== 'string') throw fail();
      return value;
    case 'deviceid':
      if (value === null) return current;
      if (typeof value !== 'string') throw fail();
      return parseDeviceId(value);
    case 'enum': {
      if (value === null) return current;
      if (typeof value !== 'string') throw fail();
      const v = fld.aliases?.[value] ?? value;
      return fld.values.includes(v) ? v : fld.def;
    }
    case 'int':
      if (value === null) return current;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw fail();
      return value;
    case 'float':
      if (value === null) return current;
      if (typeof value !== 'number') throw fail();
      return value;
    case 'bool':
      if (value === null) return current;
      if (typeof value !== 'boolean') throw fail();
      return value;
    case 'strings':
      if (value === null) return [];
      if (!Array.isArray(value)) throw fail();
      return value.map((v, i) => {
        if (typeof v !== 'string') throw mismatch(v, 'string', { ...where, path: [...where.path.slice(0, -1), `${where.path.at(-1)}[${i}]`] });
        return v;
      });
    case 'map': {
      if (value === null) return {};
      if (typeof value !== 'object' || Array.isArray(value)) throw fail();
      const merged: Record<string, string> = { ...(current as Record<string, string>) };
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw mismatch(v, 'string', where);
        merged[k] = v;
      }
      return merged;
    }
    case 'struct': {
      if (value === null) return current;
      const base = structuredClone(current as Record<string, unknown>);
      decodeStruct(fld.schema, base, value, opts, where.path);
      return base;
    }
    case 'structs':
      if (value === null) return [];
      if (!Array.isArray(value)) throw fail();
      return value.map((el) => {
        const start = opts.elementStart?.(fld.schema) ?? defaultsOf(fld.schema);
        decodeStruct(fld.schema, start, el, opts, where.path);
        return start;
      });
  }
}
