import { api, get, q } from './api.js';
import { $, clearErrors, fieldError, h, openDialog } from './dom.js';
import { state } from './folders.js';

// Remote devices: list, add (the ID checked by /rest/svc/deviceid), edit, pause, remove.

export function renderDevices() {
  const others = (state.cfg?.devices ?? []).filter((d) => d.deviceID !== state.myId);
  const list = $('#device-list');
  list.replaceChildren(
    ...others.map((d) =>
      h(
        'li',
        { class: 'card', dataset: { device: d.deviceID } },
        h('div', { class: 'card-head' }, h('h3', {}, d.name || d.deviceID.slice(0, 7)), h('span', { class: `badge ${d.paused ? 'state-paused' : ''}` }, d.paused ? 'Paused' : 'Disconnected')),
        h('dl', { class: 'facts' }, h('dt', {}, 'Device ID'), h('dd', {}, h('code', {}, d.deviceID)), h('dt', {}, 'Addresses'), h('dd', {}, (d.addresses ?? []).join(', '))),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: () => api('PATCH', `config/devices/${q(d.deviceID)}`, { paused: !d.paused }) }, d.paused ? 'Resume' : 'Pause'),
          h('button', { type: 'button', onclick: () => showDialog(structuredClone(d), false) }, 'Edit'),
        ),
      ),
    ),
  );
  if (others.length === 0) list.append(h('li', { class: 'empty' }, 'No remote devices yet.'));
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

export async function addDevice() {
  const defaults = await get('config/defaults/device');
  await showDialog({ ...defaults, deviceID: '' }, true);
}
