import { CONFIGURATION, DEVICE, FOLDER, GUI, IGNORES, LDAP, OPTIONS, type Field, type StructSchema } from '../../config/schema.js';
import { arr, bool, int, map, num, obj, orNull, str, type Schema } from './schema-kit.js';

/**
 * JSON Schemas of the configuration, derived from the same field tables that drive defaults,
 * decoding and XML, so the description cannot drift from what the service reads and writes.
 */
function field(f: Field): Schema {
  switch (f.kind) {
    case 'string':
    case 'deviceid':
      return str;
    case 'int':
      return int;
    case 'float':
      return num;
    case 'bool':
      return bool;
    case 'enum':
      return { type: 'string', enum: [...f.values] };
    case 'strings':
      return orNull(arr(str));
    case 'map':
      return orNull(map(str));
    case 'struct':
      return structSchema(f.schema);
    case 'structs':
      return orNull(arr(structSchema(f.schema)));
  }
}

export function structSchema(s: StructSchema): Schema {
  return { ...obj(Object.fromEntries(s.fields.map((f) => [f.name, field(f)]))), title: s.goName };
}

/** The whole configuration and each part a route serves on its own. */
export function configSchemas(): Record<string, Schema> {
  return {
    Configuration: structSchema(CONFIGURATION),
    FolderConfiguration: structSchema(FOLDER),
    DeviceConfiguration: structSchema(DEVICE),
    Options: structSchema(OPTIONS),
    Gui: structSchema(GUI),
    Ldap: structSchema(LDAP),
    DefaultIgnores: structSchema(IGNORES),
  };
}
