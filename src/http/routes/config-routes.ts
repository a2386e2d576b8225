import type { Context } from 'koa';
import * as edits from '../../config/edits.js';
import type { Configuration } from '../../config/types.js';
import { parseDeviceId } from '../../shared/device-id.js';
import { isKind } from '../../shared/errors.js';
import type { HttpDeps } from '../deps.js';
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

export function configRoutes(d: HttpDeps): Route[] {
  const cfg = () => d.config.current();

  /**
   * Runs one config write and answers 200 with an empty body. Decode errors are 400; a config that
   * prepare rejects is 500 except on the whole-config PUT, where Syncthing validates while decoding (400).
   */
  const write = async (ctx: Context, makeEdit: () => Edit, rejectedStatus = 500): Promise<void> => {
    try {
      await d.config.modify(makeEdit());
    } catch (err) {
      if (isKind(err, 'rejected')) throw new HttpError(rejectedStatus, err.message);
      throw err;
    }
    sendEmpty(ctx);
  };

  const getConfig = (ctx: Context) => sendJson(ctx, cfg());
  const putConfig = (ctx: Context) => write(ctx, () => edits.replaceConfig(jsonBody(ctx)), 400);
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

  const sections: Route[] = (Object.keys(edits.SECTIONS) as edits.SectionName[]).flatMap((name) => [
    { method: 'GET', path: `/rest/config/${name}`, handler: (ctx) => sendJson(ctx, edits.SECTIONS[name].get(cfg() as Configuration)) },
    { method: 'PUT', path: `/rest/config/${name}`, handler: (ctx) => write(ctx, () => edits.putSection(name, jsonBody(ctx))) },
    { method: 'PATCH', path: `/rest/config/${name}`, handler: (ctx) => write(ctx, () => edits.patchSection(name, jsonBody(ctx))) },
  ]);

  return [
    { method: 'GET', path: '/rest/config', handler: getConfig },
    { method: 'PUT', path: '/rest/config', handler: putConfig },
    { method: 'GET', path: '/rest/system/config', handler: getConfig },
    { method: 'POST', path: '/rest/system/config', handler: putConfig },
    { method: 'GET', path: '/rest/config/insync', handler: inSync },
    { method: 'GET', path: '/rest/system/config/insync', handler: inSync },
    { method: 'GET', path: '/rest/config/restart-required', handler: (ctx) => sendJson(ctx, { requiresRestart: d.config.requiresRestart }) },

    { method: 'GET', path: '/rest/config/folders', handler: (ctx) => sendJson(ctx, cfg().folders) },
    { method: 'PUT', path: '/rest/config/folders', handler: (ctx) => write(ctx, () => edits.replaceFolders(jsonBody(ctx))) },
    { method: 'POST', path: '/rest/config/folders', handler: (ctx) => write(ctx, () => edits.putFolder(jsonBody(ctx))) },
    { method: 'GET', path: '/rest/config/folders/:id', handler: (ctx) => sendJson(ctx, folder(ctx.params.id!)) },
    { method: 'PUT', path: '/rest/config/folders/:id', handler: (ctx) => write(ctx, () => edits.putFolder(jsonBody(ctx))) },
    { method: 'PATCH', path: '/rest/config/folders/:id', handler: (ctx) => write(ctx, () => edits.patchFolder(ctx.params.id!, jsonBody(ctx))) },
    { method: 'DELETE', path: '/rest/config/folders/:id', handler: (ctx) => write(ctx, () => edits.deleteFolder(ctx.params.id!)) },

    { method: 'GET', path: '/rest/config/devices', handler: (ctx) => sendJson(ctx, cfg().devices) },
    { method: 'PUT', path: '/rest/config/devices', handler: (ctx) => write(ctx, () => edits.replaceDevices(jsonBody(ctx))) },
    { method: 'POST', path: '/rest/config/devices', handler: (ctx) => write(ctx, () => edits.putDevice(jsonBody(ctx))) },
    { method: 'GET', path: '/rest/config/devices/:id', handler: (ctx) => sendJson(ctx, device(ctx.params.id!)) },
    { method: 'PUT', path: '/rest/config/devices/:id', handler: (ctx) => write(ctx, () => (parseDeviceId(ctx.params.id!), edits.putDevice(jsonBody(ctx)))) },
    { method: 'PATCH', path: '/rest/config/devices/:id', handler: (ctx) => write(ctx, () => edits.patchDevice(ctx.params.id!, jsonBody(ctx))) },
    { method: 'DELETE', path: '/rest/config/devices/:id', handler: (ctx) => write(ctx, () => edits.deleteDevice(ctx.params.id!)) },

    ...sections,
    { method: 'GET', path: '/rest/config/defaults/ignores', handler: (ctx) => sendJson(ctx, cfg().defaults.ignores) },
    { method: 'PUT', path: '/rest/config/defaults/ignores', handler: (ctx) => write(ctx, () => edits.putDefaultIgnores(jsonBody(ctx))) },
  ];
}
