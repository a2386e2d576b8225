import { AppError } from '../shared/errors.js';
import { parseDeviceId } from '../shared/device-id.js';
import { decodeStruct, decodeStructArray, type DecodeOptions } from './go-decode.js';
import { CONFIGURATION, DEFAULTS, DEVICE, FOLDER, GUI, IGNORES, LDAP, OPTIONS, defaultsOf, type StructSchema } from './schema.js';
import type { Configuration, DeviceConfiguration, FolderConfiguration } from './types.js';

/**
 * The write semantics of Syncthing's config endpoints (spec rest-api §5.1), as edits for
 * ConfigStore.modify(). Each takes the parsed request body; decoding happens inside the edit so
 * PATCH merges into the configuration as it is when the edit runs, not as it was when the request
 * arrived. Decode errors are AppError('invalid').
 */

type Edit = (draft: Configuration) => void;
type Rec = Record<string, unknown>;

const clone = <T>(v: T): T => structuredClone(v);

/** Elements of folders[]/devices[] start from the given defaults (Syncthing copies defaults.folder/device). */
function startFrom(folder: FolderConfiguration, device: DeviceConfiguration): DecodeOptions {
  return {
    elementStart: (schema: StructSchema) => {
      if (schema === FOLDER) return clone(folder) as unknown as Rec;
      if (schema === DEVICE) return clone(device) as unknown as Rec;
      return defaultsOf(schema);
    },
  };
}

/** PUT /rest/config and POST /rest/system/config: the body replaces everything; omitted sections reset to built-in defaults. */
export function replaceConfig(body: unknown): Edit {
  return (draft) => {
    const next = defaultsOf(CONFIGURATION) as unknown as Configuration;
    // Decode defaults first: the folder and device elements of the same body start from them.
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const key = Object.keys(body).find((k) => k.toLowerCase() === 'defaults');
      if (key) decodeStruct(DEFAULTS, next.defaults as unknown as Rec, (body as Rec)[key], {}, ['defaults']);
    }
    decodeStruct(CONFIGURATION, next as unknown as Rec, body, startFrom(next.defaults.folder, next.defaults.device));
    Object.assign(draft, next);
  };
}

/**
 * PUT /rest/config/folders: each listed folder replaces the one with its ID or is added; the others
 * stay (Syncthing's Configuration.SetFolders, v1.19 through v2). A non-array is a 400.
 */
export function replaceFolders(body: unknown): Edit {
  return (draft) => {
    const listed = decodeStructArray(FOLDER, body, startFrom(draft.defaults.folder, draft.defaults.device)) as unknown as FolderConfiguration[];
    draft.folders = setById(draft.folders, listed, (x) => x.id);
  };
}

/** POST /rest/config/folders and PUT /rest/config/folders/:id: one folder from defaults.folder; the body's id decides. */
export function putFolder(body: unknown): Edit {
  return (draft) => {
    const f = clone(draft.defaults.folder) as unknown as Rec;
    decodeStruct(FOLDER, f, body);
    upsert(draft.folders, f as unknown as FolderConfiguration, (x) => x.id);
  };
}

/** PATCH /rest/config/folders/:id: merge into the existing folder; a different body id makes a copy. */
export function patchFolder(id: string, body: unknown): Edit {
  return (draft) => {
    const existing = draft.folders.find((f) => f.id === id);
    if (!existing) throw new AppError('not-found', 'No folder with given ID');
    const f = clone(existing) as unknown as Rec;
    decodeStruct(FOLDER, f, body);
    upsert(draft.folders, f as unknown as FolderConfiguration, (x) => x.id);
  };
}

export function deleteFolder(id: string): Edit {
  return (draft) => {
    draft.folders = draft.folders.filter((f) => f.id !== id);
  };
}

export function replaceDevices(body: unknown): Edit {
  return (draft) => {
    const listed = decodeStructArray(DEVICE, body, startFrom(draft.defaults.folder, draft.defaults.device)) as unknown as DeviceConfiguration[];
    draft.devices = setById(draft.devices, listed, (x) => x.deviceID);
  };
}

/** POST /rest/config/devices and PUT /rest/config/devices/:id: from defaults.device; a missing deviceID drops the entry. */
export function putDevice(body: unknown): Edit {
  return (draft) => {
    const d = clone(draft.defaults.device) as unknown as Rec;
    decodeStruct(DEVICE, d, body);
    upsert(draft.devices, d as unknown as DeviceConfiguration, (x) => x.deviceID);
  };
}

export function patchDevice(id: string, body: unknown): Edit {
  const canonical = parseDeviceId(id);
  return (draft) => {
    const existing = draft.devices.find((d) => d.deviceID === canonical);
    if (!existing) throw new AppError('not-found', 'No device with given ID');
    const d = clone(existing) as unknown as Rec;
    decodeStruct(DEVICE, d, body);
    upsert(draft.devices, d as unknown as DeviceConfiguration, (x) => x.deviceID);
  };
}

export function deleteDevice(id: string): Edit {
  const canonical = parseDeviceId(id);
  return (draft) => {
    draft.devices = draft.devices.filter((d) => d.deviceID !== canonical);
    for (const f of draft.folders) f.devices = f.devices.filter((d) => d.deviceID !== canonical);
  };
}

/** The single-object sections: PUT starts from built-in defaults (omitted fields reset), PATCH from the current value. */
export const SECTIONS = {
  options: { schema: OPTIONS, get: (c: Configuration) => c.options as unknown as Rec, set: (c: Configuration, v: Rec) => void (c.options = v as never) },
  gui: { schema: GUI, get: (c: Configuration) => c.gui as unknown as Rec, set: (c: Configuration, v: Rec) => void (c.gui = v as never) },
  ldap: { schema: LDAP, get: (c: Configuration) => c.ldap as unknown as Rec, set: (c: Configuration, v: Rec) => void (c.ldap = v as never) },
  'defaults/folder': {
    schema: FOLDER,
    get: (c: Configuration) => c.defaults.folder as unknown as Rec,
    set: (c: Configuration, v: Rec) => void (c.defaults.folder = v as never),
  },
  'defaults/device': {
    schema: DEVICE,
    get: (c: Configuration) => c.defaults.device as unknown as Rec,
    set: (c: Configuration, v: Rec) => void (c.defaults.device = v as never),
  },
} as const;

export type SectionName = keyof typeof SECTIONS;

export function putSection(name: SectionName, body: unknown): Edit {
  return (draft) => {
    const sec = SECTIONS[name];
    const v = defaultsOf(sec.schema);
    decodeStruct(sec.schema, v, body);
    sec.set(draft, v);
  };
}

export function patchSection(name: SectionName, body: unknown): Edit {
  return (draft) => {
    const sec = SECTIONS[name];
    const v = clone(sec.get(draft));
    decodeStruct(sec.schema, v, body);
    sec.set(draft, v);
  };
}

/** PUT /rest/config/defaults/ignores: `{"lines": [...]}`. */
export function putDefaultIgnores(body: unknown): Edit {
  return (draft) => {
    const v = { lines: [] as string[] };
    decodeStruct(IGNORES, v as unknown as Rec, body);
    draft.defaults.ignores = v;
  };
}

/**
 * Syncthing's SetFolders / SetDevices: a listed item whose ID exists replaces it in place; the
 * others are appended in order (so a new ID listed twice stays twice, and prepare refuses it as a
 * duplicate); unlisted items stay.
 */
function setById<T>(current: T[], listed: T[], key: (x: T) => string): T[] {
  const out = [...current];
  const at = new Map(current.map((x, i) => [key(x), i]));
  const added: T[] = [];
  for (const item of listed) {
    const i = at.get(key(item));
    if (i !== undefined) out[i] = item;
    else added.push(item);
  }
  return [...out, ...added];
}

function upsert<T>(list: T[], item: T, key: (x: T) => string): void {
  const i = list.findIndex((x) => key(x) === key(item));
  if (i >= 0) list[i] = item;
  else list.push(item);
}
