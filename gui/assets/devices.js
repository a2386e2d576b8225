import { api, get, q } from './api.js';
import { $, bytes, clearErrors, fieldError, h, openDialog } from './dom.js';
import { state } from './folders.js';

// Remote devices: list with their connection (address, client, rates), add (the ID checked by
// /rest/svc/deviceid), edit, pause, remove; devices and folders that others offered (pending),
// to add or to ignore.

/** The last /rest/system/connections, and the one before it (for the rates). */
const conn = { now: null, before: null };
/** The last /rest/cluster/pending/devices and /folders. */
const pending = { devices: {}, folders: {} };

/** How far each device is from in sync, per shared folder: /rest/db/completion and FolderCompletion. */
const completion = {};

export async function refreshConnections() {
  const c = await get('system/connections');
  conn.before = conn.now;
  conn.now = { at: Date.now(), c };
  await Promise.all(
    sharedPairs()
      .filter(({ device }) => c.connections[device]?.connected)
      .map(({ device, folder }) => get(`db/completion?device=${q(device)}&folder=${q(folder)}`).then((r) => setCompletion(device, folder, r), () => undefined)),
  );
}

/** Every (remote device, folder) pair the configuration shares. */
function sharedPairs() {
  return (state.cfg?.folders ?? []).flatMap((f) => f.devices.filter((d) => d.deviceID !== state.myId).map((d) => ({ device: d.deviceID, folder: f.id })));
}

export function setCompletion(device, folder, c) {
  (completion[device] ??= {})[folder] = c;
}

/** One line per folder shared with the device: its completion and what it still lacks. */
function folderProgress(d, connected) {
  return (state.cfg?.folders ?? [])
    .filter((f) => f.devices.some((x) => x.deviceID === d.deviceID))
    .map((f) => {
      const c = completion[d.deviceID]?.[f.id];
      const label = f.label || f.id;
      if (!connected || !c) return h('li', { dataset: { folder: f.id } }, `${label}: unknown while disconnected`);
      const pct = Math.floor(c.completion);
      const rest = c.needItems + c.needDeletes;
      const text = rest === 0 ? `${label}: up to date` : `${label}: ${pct}% — ${rest} items, ${bytes(c.needBytes)} out of sync`;
      return h('li', { dataset: { folder: f.id, completion: String(pct) }, class: rest === 0 ? '' : 'out-of-sync' }, text);
    });
}

export async function refreshPending() {
  [pending.devices, pending.folders] = await Promise.all([get('cluster/pending/devices'), get('cluster/pending/folders')]);
}

/** Bytes per second in and out since the previous look, per device. */
function rates(id) {
  const a = conn.before?.c.connections[id];
  const b = conn.now?.c.connections[id];
  if (!a || !b || !b.connected || a.startedAt !== b.startedAt) return undefined;
  const s = (conn.now.at - conn.before.at) / 1000;
  if (s <= 0) return undefined;
  return { in: Math.max(0, (b.inBytesTotal - a.inBytesTotal) / s), out: Math.max(0, (b.outBytesTotal - a.outBytesTotal) / s) };
}

function statusOf(d) {
  const c = conn.now?.c.connections[d.deviceID];
  if (d.paused) return { text: 'Paused', cls: 'state-paused' };
  if (c?.connected) return { text: 'Connected', cls: 'state-idle' };
  return { text: 'Disconnected', cls: '' };
}

export function renderDevices() {
  const others = (state.cfg?.devices ?? []).filter((d) => d.deviceID !== state.myId);
  const list = $('#device-list');
  list.replaceChildren(
    ...others.map((d) => {
      const c = conn.now?.c.connections[d.deviceID];
      const st = statusOf(d);
      const r = rates(d.deviceID);
      const facts = [h('dt', {}, 'Device ID'), h('dd', {}, h('code', {}, d.deviceID)), h('dt', {}, 'Addresses'), h('dd', {}, (d.addresses ?? []).join(', '))];
      const progress = folderProgress(d, !!c?.connected);
      if (progress.length) facts.push(h('dt', {}, 'Folders'), h('dd', {}, h('ul', { class: 'device-folders' }, ...progress)));
      if (c?.connected) {
        facts.push(
          h('dt', {}, 'Connected at'), h('dd', { class: 'conn-address' }, `${c.address} (${c.type === 'tcp-client' ? 'we dialled' : 'it dialled'}, ${c.crypto})`),
          h('dt', {}, 'Client'), h('dd', { class: 'conn-client' }, c.clientVersion),
          h('dt', {}, 'Rates'), h('dd', { class: 'conn-rates' }, r ? `↓ ${bytes(r.in)}/s  ↑ ${bytes(r.out)}/s` : '…'),
          h('dt', {}, 'Transferred'), h('dd', {}, `↓ ${bytes(c.inBytesTotal)}  ↑ ${bytes(c.outBytesTotal)}`),
        );
      }
      return h(
        'li',
        { class: 'card', dataset: { device: d.deviceID, connected: String(!!c?.connected) } },
        h('div', { class: 'card-head' }, h('h3', {}, d.name || d.deviceID.slice(0, 7)), h('span', { class: `badge ${st.cls}` }, st.text)),
        h('dl', { class: 'facts' }, ...facts),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: () => api('PATCH', `config/devices/${q(d.deviceID)}`, { paused: !d.paused }) }, d.paused ? 'Resume' : 'Pause'),
          h('button', { type: 'button', onclick: () => showDialog(structuredClone(d), false) }, 'Edit'),
        ),
      );
    }),
  );
  if (others.length === 0) list.append(h('li', { class: 'empty' }, 'No remote devices yet.'));
  renderPending();
}

function renderPending() {
  const box = $('#pending-list');
  const items = [];
  for (const [id, p] of Object.entries(pending.devices)) {
    items.push(
      h(
        'li',
        { class: 'banner', dataset: { pendingDevice: id } },
        h('span', {}, `Device ${p.name ? `"${p.name}" ` : ''}`, h('code', {}, id.slice(0, 7)), ` at ${p.address} wants to connect.`),
        ' ',
        h('button', { type: 'button', class: 'primary', onclick: () => addDevice({ deviceID: id, name: p.name }) }, 'Add device'),
        h('button', { type: 'button', onclick: () => ignoreDevice(id, p) }, 'Ignore'),
        h('button', { type: 'button', onclick: () => api('DELETE', `cluster/pending/devices?device=${q(id)}`).then(refreshAndRender) }, 'Dismiss'),
      ),
    );
  }
  for (const [folder, { offeredBy }] of Object.entries(pending.folders)) {
    for (const [device, p] of Object.entries(offeredBy)) {
      const who = state.cfg?.devices.find((d) => d.deviceID === device);
      const mine = state.cfg?.folders.find((f) => f.id === folder);
      items.push(
        h(
          'li',
          { class: 'banner', dataset: { pendingFolder: folder } },
          h('span', {}, `${who?.name || device.slice(0, 7)} wants to share folder "${p.label || folder}" (${folder}).`),
          ' ',
          h('button', { type: 'button', class: 'primary', onclick: () => acceptFolder(folder, device, p, mine) }, mine ? 'Share it' : 'Add folder'),
          h('button', { type: 'button', onclick: () => ignoreFolder(folder, device, p) }, 'Ignore'),
        ),
      );
    }
  }
  box.replaceChildren(...items);
  box.hidden = items.length === 0;
}

async function refreshAndRender() {
  await refreshPending();
  renderPending();
}

async function ignoreDevice(id, p) {
  const ignored = [...(state.cfg.remoteIgnoredDevices ?? []), { deviceID: id, name: p.name, address: p.address, time: new Date().toISOString() }];
  await api('PUT', 'config', { ...state.cfg, remoteIgnoredDevices: ignored });
  await api('DELETE', `cluster/pending/devices?device=${q(id)}`);
  await refreshAndRender();
}

async function ignoreFolder(folder, device, p) {
  const d = state.cfg.devices.find((x) => x.deviceID === device);
  if (!d) return;
  await api('PATCH', `config/devices/${q(device)}`, { ignoredFolders: [...(d.ignoredFolders ?? []), { id: folder, label: p.label, time: new Date().toISOString() }] });
  await api('DELETE', `cluster/pending/folders?folder=${q(folder)}&device=${q(device)}`);
  await refreshAndRender();
}

/** Shares an existing folder with the device, or opens the folder dialog for a new one. */
async function acceptFolder(folder, device, p, mine) {
  if (mine) {
    await api('PATCH', `config/folders/${q(folder)}`, { devices: [...mine.devices, { deviceID: device }] });
    await refreshAndRender();
    return;
  }
  const { addFolder } = await import('./folders.js');
  await addFolder({ id: folder, label: p.label, devices: [{ deviceID: device }] });
}

async function showDialog(base, isNew) {
  const dialog = $('#device-dialog');
  const form = $('#device-form');
  const e = form.elements;
  clearErrors(form);
  $('#device-dialog-title').textContent = isNew ? 'Add device' : `Edit device ${base.name || base.deviceID.slice(0, 7)}`;
  e.deviceID.value = base.deviceID ?? '';
  e.deviceID.readOnly = !isNew;
  e.name.value = base.name ?? '';
  e.addresses.value = (base.addresses ?? ['dynamic']).join(', ');
  e.paused.checked = !!base.paused;
  const remove = $('#device-remove');
  remove.hidden = isNew;
  remove.onclick = async () => {
    if (!confirm(`Remove device ${base.name || base.deviceID}?`)) return;
    await api('DELETE', `config/devices/${q(base.deviceID)}`);
    dialog.close();
  };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    let id = base.deviceID;
    if (isNew) {
      const check = await get(`svc/deviceid?id=${q(e.deviceID.value.trim())}`);
      if (check.error) return fieldError(form, 'deviceID', check.error);
      id = check.id;
      if (id === state.myId) return fieldError(form, 'deviceID', 'That is the ID of this device.');
      if (state.cfg.devices.some((d) => d.deviceID === id)) return fieldError(form, 'deviceID', 'This device is already added.');
    }
    const addresses = e.addresses.value.split(',').map((s) => s.trim()).filter(Boolean);
    const body = { ...base, deviceID: id, name: e.name.value, addresses: addresses.length ? addresses : ['dynamic'], paused: e.paused.checked };
    try {
      if (isNew) await api('POST', 'config/devices', body);
      else await api('PUT', `config/devices/${q(id)}`, body);
      dialog.close();
    } catch (err) {
      fieldError(form, 'form', err.message);
    }
  };
  openDialog(dialog);
  (isNew ? e.deviceID : e.name).focus();
}

/** Opens the add dialog, with an offered device's ID and name filled in when given. */
export async function addDevice(offer) {
  const defaults = await get('config/defaults/device');
  await showDialog({ ...defaults, deviceID: offer?.deviceID ?? '', name: offer?.name ?? '' }, true);
}
