import { api, get, q, whenSignedOut } from './api.js';
import { $, $$, bytes, duration, h, openDialog } from './dom.js';
import * as events from './events.js';
import { addFolder, noteDownloads, refreshStats, refreshStatus, renderFolders, state } from './folders.js';
import { addDevice, refreshConnections, refreshPending, renderDevices, setCompletion } from './devices.js';
import { folderChanged } from './folder-details.js';
import { addEvent, refreshLog, setupActivity } from './activity.js';
import { applyTheme, loadSettings, setupSettings } from './settings.js';

// The page: sign-in when needed, then the views, kept current by the event stream. A slow
// periodic refresh is only a safety net.

const meta = window.metadata;

function showLogin() {
  for (const v of $$('.view')) v.hidden = true;
  $('#nav').hidden = true;
  $('#login').hidden = false;
  $('#login-form').elements.username.focus();
}

function setupLogin() {
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const res = await fetch('rest/noauth/auth/password', {
      method: 'POST',
      body: JSON.stringify({ username: f.get('username'), password: f.get('password'), stayLoggedIn: f.get('stayLoggedIn') === 'on' }),
    });
    if (res.status === 204) location.reload();
    else {
      $('#login-error').textContent = res.status === 403 ? 'Wrong user name or password.' : `Sign-in failed: ${(await res.text()).trim()}`;
      ev.target.elements.password.select();
    }
  });
}

function showView(name) {
  for (const b of $$('#nav [data-view]')) {
    if (b.dataset.view === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  for (const v of $$('.view')) v.hidden = v.id !== `view-${name}`;
  if (name === 'settings') loadSettings();
  if (name === 'activity') refreshLog();
  history.replaceState(null, '', `#${name}`);
}

async function loadConfig() {
  state.cfg = await get('config');
  applyTheme(state.cfg.gui.theme);
  const me = state.cfg.devices.find((d) => d.deviceID === state.myId);
  $('#device-name').textContent = me?.name ? `· ${me.name}` : '';
  $('#logout').hidden = !(state.cfg.gui.user && state.cfg.gui.password);
}

async function loadAll() {
  await loadConfig();
  await Promise.all([...state.cfg.folders.map((f) => refreshStatus(f.id)), refreshStats(), refreshConnections(), refreshPending()]);
  renderFolders();
  renderDevices();
  await Promise.all([refreshSystem(), refreshNotices(), refreshRestart()]);
}

async function refreshSystem() {
  const s = await get('system/status');
  $('#uptime').textContent = duration(s.uptime);
  $('#memory').textContent = bytes(s.sys);
  $('#gui-address').textContent = s.guiAddressUsed;
  const listeners = Object.entries(s.connectionServiceStatus ?? {});
  $('#sync-addresses').textContent = listeners.map(([url, l]) => (l.error ? `${url}: ${l.error}` : l.lanAddresses.join(', '))).join('; ') || '—';
  return s;
}

async function refreshNotices() {
  const r = await get('system/error');
  $('#notices').replaceChildren(
    ...(r.errors ?? []).map((e) =>
      h('li', { class: 'banner warn' }, h('span', {}, `${new Date(e.when).toLocaleString()}: ${e.message}`), ' ', h('button', { type: 'button', onclick: () => api('POST', 'system/error/clear').then(refreshNotices) }, 'Dismiss')),
    ),
  );
}

async function refreshRestart() {
  const r = await get('config/restart-required');
  $('#restart-banner').hidden = !r.requiresRestart;
}

// Redraws are batched: a burst of events costs one render.
let renderQueued = false;
function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderFolders();
    renderDevices();
  });
}

function wireEvents() {
  events.on('*', (_d, e) => addEvent(e));
  events.on('StateChanged', async (d) => {
    if (d.to !== 'scanning') delete state.progress[d.folder];
    if (d.from === 'syncing') delete state.downloads[d.folder];
    await refreshStatus(d.folder);
    if (d.from === 'scanning') await refreshStats();
    queueRender();
    if (d.to === 'idle') folderChanged(d.folder);
  });
  events.on('FolderSummary', (d) => {
    state.status[d.folder] = d.summary;
    queueRender();
  });
  // What other devices changed shows in an open Local changes list (a send-only folder's Override).
  events.on('RemoteIndexUpdated', (d) => folderChanged(d.folder));
  events.on('FolderScanProgress', (d) => {
    state.progress[d.folder] = d.total > 0 ? Math.floor((100 * d.current) / d.total) : 0;
    queueRender();
  });
  events.on('LocalIndexUpdated', async (d) => {
    await refreshStatus(d.folder);
    queueRender();
    folderChanged(d.folder);
  });
  events.on('FolderErrors', async (d) => {
    await refreshStatus(d.folder);
    queueRender();
    folderChanged(d.folder);
  });
  events.on('ConfigSaved', async () => {
    await loadAll();
  });
  for (const type of ['DeviceConnected', 'DeviceDisconnected']) {
    events.on(type, async () => {
      await refreshConnections();
      queueRender();
    });
  }
  for (const type of ['PendingDevicesChanged', 'PendingFoldersChanged']) {
    events.on(type, async () => {
      await refreshPending();
      queueRender();
    });
  }
  events.on('FolderCompletion', (d) => {
    setCompletion(d.device, d.folder, d);
    queueRender();
  });
  // Per-block progress of the files being pulled, each about a second apart: the card's
  // Downloading line and its rate; the status behind the Syncing percentage follows too.
  events.on('DownloadProgress', async (d, e) => {
    const at = Date.parse(e.time);
    for (const [folder, files] of Object.entries(d ?? {})) {
      noteDownloads(folder, files, Number.isFinite(at) ? at : Date.now());
      await refreshStatus(folder);
    }
    // The devices' rates move with the transfer too.
    await refreshConnections();
    queueRender();
  });
  events.on('FolderPaused', queueRender);
  events.on('FolderResumed', queueRender);
}

async function startApp() {
  state.myId = meta.deviceID;
  $('#my-id').textContent = meta.deviceID;
  $('#nav').hidden = false;
  for (const b of $$('#nav [data-view]')) b.onclick = () => showView(b.dataset.view);
  $('#logout').onclick = async () => {
    await fetch('rest/noauth/auth/logout', { method: 'POST' });
    location.reload();
  };
  $('#add-folder').onclick = () => addFolder();
  $('#add-device').onclick = () => addDevice();
  $('#rescan-all').onclick = () => api('POST', 'db/scan').catch(() => undefined);
  $('#restart').onclick = () => api('POST', 'system/restart');
  $('#show-qr').onclick = () => {
    $('#qr').src = `qr/?text=${q(meta.deviceID)}`;
    $('#qr-id').textContent = meta.deviceID;
    openDialog($('#qr-dialog'));
  };
  setupSettings();
  setupActivity();
  const v = await get('system/version');
  $('#version').textContent = v.longVersion;
  await loadAll();
  const initial = await refreshSystem();
  const view = location.hash.slice(1);
  showView(['overview', 'activity', 'settings'].includes(view) ? view : 'overview');
  wireEvents();
  events.start({
    initialStartTime: initial.startTime,
    connection: (up) => ($('#connection').hidden = up),
    reconnect: () => loadAll(),
  });
  // Transfer rates are differences between two looks at the byte counters.
  setInterval(() => {
    if (document.hidden) return;
    refreshConnections().then(queueRender, () => undefined);
  }, 5_000);
  // The safety net: events carry every change, this catches anything missed.
  setInterval(() => {
    if (document.hidden) return;
    refreshSystem().catch(() => undefined);
    refreshNotices().catch(() => undefined);
    refreshRestart().catch(() => undefined);
  }, 30_000);
}

setupLogin();
whenSignedOut(showLogin);
if (!meta) showLogin();
else startApp().catch((err) => console.error(err));
