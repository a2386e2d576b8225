import { api, get } from './api.js';
import { $ } from './dom.js';
import { state } from './folders.js';

// Settings: this device's name, the GUI (address, user, password, HTTPS, theme, API key) and the
// main connection options. Saved with PATCH, so fields this page does not show are kept.

export function applyTheme(theme) {
  document.documentElement.dataset.theme = theme || 'default';
}

export async function loadSettings() {
  // The fields wait for the values: a choice made before they arrive would be overwritten by them.
  const form = $('#settings-form');
  const waiting = [...form.elements].filter((el) => !el.disabled);
  for (const el of waiting) el.disabled = true;
  let gui, options;
  try {
    [gui, options] = await Promise.all([get('config/gui'), get('config/options')]);
  } finally {
    for (const el of waiting) el.disabled = false;
  }
  const me = state.cfg.devices.find((d) => d.deviceID === state.myId);
  const e = form.elements;
  e.deviceName.value = me?.name ?? '';
  e.address.value = gui.address;
  e.user.value = gui.user;
  e.password.value = '';
  e.useTLS.checked = gui.useTLS;
  e.theme.value = gui.theme;
  $('#apikey').textContent = gui.apiKey;
  e.listenAddresses.value = options.listenAddresses.join(', ');
  e.maxRecvKbps.value = options.maxRecvKbps;
  e.maxSendKbps.value = options.maxSendKbps;
  e.globalAnnounceEnabled.checked = options.globalAnnounceEnabled;
  e.localAnnounceEnabled.checked = options.localAnnounceEnabled;
  e.relaysEnabled.checked = options.relaysEnabled;
  $('#settings-error').textContent = '';
  $('#settings-saved').textContent = '';
}

export function setupSettings() {
  const form = $('#settings-form');
  const e = form.elements;
  // The theme applies at once, before it is saved, so it can be tried.
  e.theme.onchange = () => applyTheme(e.theme.value);
  $('#apikey-copy').onclick = async () => {
    await navigator.clipboard?.writeText($('#apikey').textContent).catch(() => undefined);
    $('#settings-saved').textContent = 'API key copied.';
  };
  $('#apikey-new').onclick = async () => {
    if (!confirm('Generate a new API key? Scripts and apps using the old one stop working.')) return;
    const { random } = await get('svc/random/string?length=32');
    await api('PATCH', 'config/gui', { apiKey: random });
    $('#apikey').textContent = random;
    $('#settings-saved').textContent = 'New API key saved.';
  };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    $('#settings-error').textContent = '';
    $('#settings-saved').textContent = '';
    const gui = { address: e.address.value.trim(), user: e.user.value, useTLS: e.useTLS.checked, theme: e.theme.value };
    if (e.password.value !== '') gui.password = e.password.value;
    const options = {
      listenAddresses: e.listenAddresses.value.split(',').map((s) => s.trim()).filter(Boolean),
      maxRecvKbps: Number(e.maxRecvKbps.value) || 0,
      maxSendKbps: Number(e.maxSendKbps.value) || 0,
      globalAnnounceEnabled: e.globalAnnounceEnabled.checked,
      localAnnounceEnabled: e.localAnnounceEnabled.checked,
      relaysEnabled: e.relaysEnabled.checked,
    };
    try {
      await api('PATCH', 'config/options', options);
      const me = state.cfg.devices.find((d) => d.deviceID === state.myId);
      if (me && me.name !== e.deviceName.value) await api('PATCH', `config/devices/${encodeURIComponent(state.myId)}`, { name: e.deviceName.value });
      // Last: a new address or HTTPS setting moves the listener, which may cut this answer off.
      await api('PATCH', 'config/gui', gui).catch((err) => {
        if (err.status) throw err;
      });
      applyTheme(gui.theme);
      e.password.value = '';
      $('#settings-saved').textContent = 'Settings saved.';
    } catch (err) {
      $('#settings-error').textContent = err.message;
    }
  };
}

