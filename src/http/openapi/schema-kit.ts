/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 uses). */
export type Schema = Record<string, unknown>;

export const str: Schema = { type: 'string' };
export const int: Schema = { type: 'integer' };
export const num: Schema = { type: 'number' };
export const bool: Schema = { type: 'boolean' };
export const time: Schema = { type: 'string', format: 'date-time' };
export const anyJson: Schema = {};
export const arr = (items: Schema): Schema => ({ type: 'array', items });
/** Go prints a nil slice or map as null. */
export const orNull = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
export const map = (values: Schema): Schema => ({ type: 'object', additionalProperties: values });
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** An object whose listed keys are all present (further keys allowed: clients must ignore them). */
export function obj(props: Record<string, Schema>, optional: string[] = []): Schema {
  return { type: 'object', properties: props, required: Object.keys(props).filter((k) => !optional.includes(k)) };
}
