import type { Context } from 'koa';
import { parseDeviceId } from '../../shared/device-id.js';
import type { HttpDeps } from '../deps.js';
import { query } from '../request.js';
import { sendEmpty, sendJson } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET,DELETE  /rest/cluster/pending/devices   DELETE: device
// GET,DELETE  /rest/cluster/pending/folders   [device]; DELETE: folder [device]

export function clusterRoutes(d: HttpDeps): Route[] {
  // An invalid ID is a 400 here; the empty string is the (valid) empty ID, meaning "all".
  const device = (ctx: Context) => parseDeviceId(query(ctx, 'device') ?? '');
  return [
    { method: 'GET', path: '/rest/cluster/pending/devices', handler: (ctx) => sendJson(ctx, d.pending.pendingDevices()) },
    {
      method: 'DELETE',
      path: '/rest/cluster/pending/devices',
      handler: (ctx) => {
        d.pending.dismissDevice(device(ctx));
        sendEmpty(ctx);
      },
    },
    { method: 'GET', path: '/rest/cluster/pending/folders', handler: (ctx) => sendJson(ctx, d.pending.pendingFolders(device(ctx))) },
    {
      method: 'DELETE',
      path: '/rest/cluster/pending/folders',
      handler: (ctx) => {
        const dev = device(ctx);
        d.pending.dismissFolder(query(ctx, 'folder') ?? '', dev);
        sendEmpty(ctx);
      },
    },
  ];
}
