import type { Context } from 'koa';
import * as edits from '../../config/edits.js';
import type { Configuration } from '../../config/types.js';
import { parseDeviceId } from '../../shared/device-id.js';
import { isKind } from '../../shared/errors.js';
import type { HttpDeps } from '../deps.js';
import { etagOf, parseIfMatch, requireMatch, sendTagged } from '../etag.js';
import { HttpError } from '../http-error.js';
import { jsonBody } from '../request.js';
import { sendEmpty, sendJson } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET,PUT                 /rest/config                       (+ deprecated GET,POST /rest/system/config)
// GET                     /rest/config/insync | restart-required   (+ deprecated /rest/system/config/insync)
// GET,PUT,POST            /rest/config/folders | devices
// GET,PUT,PATCH,DELETE    /rest/config/folders/:id | devices/:id
// GET,PUT,PATCH           /rest/config/defaults/folder | defaults/device | options | gui | ldap
// GET,PUT                 /rest/config/defaults/ignores

type Edit = (draft: Configuration) => void;
/** The config object a route reads or writes (undefined when it does not exist). */
type Resource = (c: Readonly<Configuration>) => unknown;

export function configRoutes(d: HttpDeps): Route[] {
  const cfg = () => d.config.current();

  /**
   * Runs one config write and answers 200 with an empty body and the object's new ETag. Decode
   * errors are 400; a config that prepare rejects is 500 except on the whole-config PUT, where
   * Syncthing validates while decoding (400). With If-Match, the object is compared inside the
   * queued edit, so of two writers holding the same tag exactly one goes ahead.
   */
  const write = async (ctx: Context, resource: Resource, makeEdit: () => Edit, rejectedStatus = 500): Promise<void> => {
    const cond = parseIfMatch(ctx);
    const edit = makeEdit();
    try {
      await d.config.modify((draft) => {
        if (cond) requireMatch(cond, resource(draft));
        edit(draft);
      });
    } catch (err) {
      if (isKind(err, 'rejected')) throw new HttpError(rejectedStatus, err.message);
      throw err;
    }
    const now = resource(cfg());
    if (now !== undefined) ctx.set('ETag', etagOf(now));
    sendEmpty(ctx);
  };
  const read = (resource: Resource) => (ctx: Context) => sendTagged(ctx, resource(cfg()), sendJson);

  const whole: Resource = (c) => c;
  const getConfig = read(whole);
  const putConfig = (ctx: Context) => write(ctx, whole, () => edits.replaceConfig(jsonBody(ctx)), 400);
  const inSync = (ctx: Context) => sendJson(ctx, { configInSync: !d.config.requiresRestart });

  const folder = (id: string) => {
    const f = cfg().folders.find((x) => x.id === id);
    if (!f) throw new HttpError(404, 'No folder with given ID');
    return f;
  };
  const device = (id: string) => {
    const canonical = parseDeviceId(id);
    const dev = cfg().devices.find((x) => x.deviceID === canonical);
    if (!dev) throw new HttpError(404, 'No device with given ID');
    return dev;
  };

  const folders: Resource = (c) => c.folders;
  const folderById = (ctx: Context): Resource => (c) => c.folders.find((x) => x.id === ctx.params.id);
  const devices: Resource = (c) => c.devices;
  const deviceById = (ctx: Context): Resource => (c) => {
    let id: string;
    try {
      id = parseDeviceId(ctx.params.id!);
    } catch {
      return undefined; // the edit itself reports the bad ID, with the status Syncthing uses
    }
    return c.devices.find((x) => x.deviceID === id);
  };
  const ignores: Resource = (c) => c.defaults.ignores;

  const sections: Route[] = (Object.keys(edits.SECTIONS) as edits.SectionName[]).flatMap((name) => {
    const section: Resource = (c) => edits.SECTIONS[name].get(c as Configuration);
    return [
      { method: 'GET', path: `/rest/config/${name}`, handler: read(section) },
      { method: 'PUT', path: `/rest/config/${name}`, handler: (ctx) => write(ctx, section, () => edits.putSection(name, jsonBody(ctx))) },
      { method: 'PATCH', path: `/rest/config/${name}`, handler: (ctx) => write(ctx, section, () => edits.patchSection(name, jsonBody(ctx))) },
    ] satisfies Route[];
  });

  return [
    { method: 'GET', path: '/rest/config', handler: getConfig },
    { method: 'PUT', path: '/rest/config', handler: putConfig },
    { method: 'GET', path: '/rest/system/config', handler: getConfig },
    { method: 'POST', path: '/rest/system/config', handler: putConfig },
    { method: 'GET', path: '/rest/config/insync', handler: inSync },
    { method: 'GET', path: '/rest/system/config/insync', handler: inSync },
    { method: 'GET', path: '/rest/config/restart-required', handler: (ctx) => sendJson(ctx, { requiresRestart: d.config.requiresRestart }) },

    { method: 'GET', path: '/rest/config/folders', handler: read(folders) },
    { method: 'PUT', path: '/rest/config/folders', handler: (ctx) => write(ctx, folders, () => edits.replaceFolders(jsonBody(ctx))) },
    { method: 'POST', path: '/rest/config/folders', handler: (ctx) => write(ctx, folders, () => edits.putFolder(jsonBody(ctx))) },
    { method: 'GET', path: '/rest/config/folders/:id', handler: (ctx) => sendTagged(ctx, folder(ctx.params.id!), sendJson) },
    { method: 'PUT', path: '/rest/config/folders/:id', handler: (ctx) => write(ctx, folderById(ctx), () => edits.putFolder(jsonBody(ctx))) },
    { method: 'PATCH', path: '/rest/config/folders/:id', handler: (ctx) => write(ctx, folderById(ctx), () => edits.patchFolder(ctx.params.id!, jsonBody(ctx))) },
    { method: 'DELETE', path: '/rest/config/folders/:id', handler: (ctx) => write(ctx, folderById(ctx), () => edits.deleteFolder(ctx.params.id!)) },

    { method: 'GET', path: '/rest/config/devices', handler: read(devices) },
    { method: 'PUT', path: '/rest/config/devices', handler: (ctx) => write(ctx, devices, () => edits.replaceDevices(jsonBody(ctx))) },
    { method: 'POST', path: '/rest/config/devices', handler: (ctx) => write(ctx, devices, () => edits.putDevice(jsonBody(ctx))) },
    { method: 'GET', path: '/rest/config/devices/:id', handler: (ctx) => sendTagged(ctx, device(ctx.params.id!), sendJson) },
    { method: 'PUT', path: '/rest/config/devices/:id', handler: (ctx) => write(ctx, deviceById(ctx), () => (parseDeviceId(ctx.params.id!), edits.putDevice(jsonBody(ctx)))) },
    { method: 'PATCH', path: '/rest/config/devices/:id', handler: (ctx) => write(ctx, deviceById(ctx), () => edits.patchDevice(ctx.params.id!, jsonBody(ctx))) },
    { method: 'DELETE', path: '/rest/config/devices/:id', handler: (ctx) => write(ctx, deviceById(ctx), () => edits.deleteDevice(ctx.params.id!)) },

    ...sections,
    { method: 'GET', path: '/rest/config/defaults/ignores', handler: read(ignores) },
    { method: 'PUT', path: '/rest/config/defaults/ignores', handler: (ctx) => write(ctx, ignores, () => edits.putDefaultIgnores(jsonBody(ctx))) },
  ];
}
