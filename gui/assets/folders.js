import { api, get, q } from './api.js';
import { $, $$, bytes, clearErrors, fieldError, h, openDialog, when } from './dom.js';
import { openDetails } from './folder-details.js';

// The folder list and the add/edit dialog. State comes from the config, /rest/db/status and
// /rest/stats/folder, and is kept fresh by events (see main.js).

export const state = { cfg: null, status: {}, stats: {}, progress: {}, downloads: {}, myId: '' };

/**
 * A DownloadProgress event for a folder: the files being pulled, the bytes done of them, and a
 * rate from the bytes done of the files that were in the previous event too (a file that finished
 * leaves the event, which is no negative rate), over the time between the two events.
 */
export function noteDownloads(folder, files, atMs = Date.now()) {
  // The event's own time, not when the page got it: a long poll can bring two events at once.
  const now = atMs;
  const prev = state.downloads[folder];
  const done = Object.fromEntries(Object.entries(files ?? {}).map(([name, p]) => [name, p.bytesDone ?? 0]));
  const names = Object.keys(done);
  let rate = prev?.rate ?? 0;
  if (prev && now > prev.at) {
    const moved = names.reduce((n, name) => n + (name in prev.done ? Math.max(0, done[name] - prev.done[name]) : done[name]), 0);
    rate = (1000 * moved) / (now - prev.at);
  }
  if (names.length === 0) delete state.downloads[folder];
  else state.downloads[folder] = { at: now, done, rate, files: names.length, bytesDone: names.reduce((n, k) => n + done[k], 0), bytesTotal: Object.values(files).reduce((n, p) => n + (p.bytesTotal ?? 0), 0) };
}

/**
 * How far a syncing folder is: what it holds of the global bytes, as Syncthing's GUI reckons it,
 * plus what has arrived of the files being pulled (so a big file moves the figure block by block).
 */
function syncFigures(st, dl) {
  const left = Math.max(0, st.needBytes - (dl?.bytesDone ?? 0));
  const pct = st.globalBytes > 0 ? Math.min(100, Math.floor((100 * Math.max(0, st.globalBytes - left)) / st.globalBytes)) : 100;
  return { pct, left };
}

const TYPE_NAMES = { sendreceive: 'Send & receive', sendonly: 'Send only', receiveonly: 'Receive only', receiveencrypted: 'Receive encrypted' };

export async function refreshStatus(id) {
  try {
    state.status[id] = await get(`db/status?folder=${q(id)}`);
  } catch {
    delete state.status[id];
  }
}

export async function refreshStats() {
  state.stats = (await get('stats/folder')) ?? {};
}

function stateText(f, st) {
  if (f.paused) return 'Paused';
  if (!st) return 'Unknown';
  if (st.state === 'scanning' && state.progress[f.id] !== undefined) return `Scanning (${state.progress[f.id]}%)`;
  if (st.state === 'error') return 'Stopped';
  if (st.state === 'syncing') {
    const { pct, left } = syncFigures(st, state.downloads[f.id]);
    return `Syncing (${pct}%, ${bytes(left)} left)`;
  }
  if (st.state === 'idle' && st.receiveOnlyTotalItems > 0) return 'Local additions';
  if (st.state === 'idle' && st.needTotalItems > 0) return 'Out of sync';
  return { idle: 'Up to date', scanning: 'Scanning', 'scan-waiting': 'Waiting to scan', cleaning: 'Cleaning versions', 'clean-waiting': 'Waiting to clean', 'sync-preparing': 'Preparing to sync', 'sync-waiting': 'Waiting to sync' }[st.state] ?? st.state;
}

export function renderFolders() {
  const list = $('#folder-list');
  const folders = [...(state.cfg?.folders ?? [])].sort((a, b) => (a.label || a.id).localeCompare(b.label || b.id));
  list.replaceChildren(
    ...folders.map((f) => {
      const st = state.status[f.id];
      const stats = state.stats[f.id];
      const errors = st?.errors ?? 0;
      const dl = state.downloads[f.id];
      return h(
        'li',
        { class: 'card', dataset: { folder: f.id, state: f.paused ? 'paused' : st?.state ?? 'unknown' } },
        h('div', { class: 'card-head' }, h('h3', {}, f.label || f.id), h('span', { class: `badge state-${f.paused ? 'paused' : st?.state}`, 'data-role': 'state' }, stateText(f, st))),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Folder ID'), h('dd', {}, h('code', {}, f.id)),
          h('dt', {}, 'Path'), h('dd', {}, f.path),
          h('dt', {}, 'Type'), h('dd', {}, TYPE_NAMES[f.type] ?? f.type),
          h('dt', {}, 'Local files'), h('dd', { 'data-role': 'local-files' }, st ? `${st.localFiles} files, ${st.localDirectories} directories` : '–'),
          h('dt', {}, 'Local size'), h('dd', { 'data-role': 'local-bytes' }, st ? bytes(st.localBytes) : '–'),
          h('dt', {}, 'Global'), h('dd', { 'data-role': 'global' }, st ? `${st.globalFiles} files, ${st.globalDirectories} directories, ${bytes(st.globalBytes)}` : '–'),
          st?.needTotalItems ? [h('dt', {}, 'Out of sync'), h('dd', { 'data-role': 'need', class: 'out-of-sync' }, `${st.needTotalItems} items, ${bytes(st.needBytes)}`)] : null,
          dl && st?.state === 'syncing'
            ? [h('dt', {}, 'Downloading'), h('dd', { 'data-role': 'downloading' }, `${dl.files} file${dl.files === 1 ? '' : 's'}, ${bytes(dl.bytesDone)} of ${bytes(dl.bytesTotal)} at ${bytes(dl.rate)}/s`)]
            : null,
          h('dt', {}, 'Last scan'), h('dd', {}, when(stats?.lastScan)),
          errors
            ? [h('dt', {}, 'Failed items'), h('dd', { class: 'error-count' }, h('button', { type: 'button', class: 'link', 'data-role': 'failed', onclick: () => openDetails(f, 'errors') }, `${errors} item${errors === 1 ? '' : 's'}`))]
            : null,
          st?.error ? [h('dt', {}, 'Error'), h('dd', { class: 'error' }, st.error)] : null,
        ),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: () => openDetails(f) }, 'Browse'),
          h('button', { type: 'button', onclick: () => setPaused(f, !f.paused) }, f.paused ? 'Resume' : 'Pause'),
          h('button', { type: 'button', disabled: f.paused, onclick: () => api('POST', `db/scan?folder=${q(f.id)}`).catch(() => undefined) }, 'Rescan'),
          h('button', { type: 'button', onclick: () => editFolder(f) }, 'Edit'),
        ),
      );
    }),
  );
  if (folders.length === 0) list.append(h('li', { class: 'empty' }, 'No folders yet.'));
}

async function setPaused(f, paused) {
  await api('PATCH', `config/folders/${q(f.id)}`, { paused });
}

// Path completion: the directories under what has been typed so far.
let browseTimer;
function completePaths(input) {
  clearTimeout(browseTimer);
  browseTimer = setTimeout(async () => {
    try {
      const dirs = (await get(`system/browse?current=${q(input.value)}`)) ?? [];
      $('#path-options').replaceChildren(...dirs.slice(0, 50).map((d) => h('option', { value: d })));
    } catch {
      /* completion is a convenience */
    }
  }, 150);
}

function versioningFields(form) {
  const type = form.elements.versioningType.value;
  for (const label of $$('[data-versioning]', form)) label.hidden = !label.dataset.versioning.split(' ').includes(type);
}

function fillForm(form, f) {
  const v = f.versioning ?? { type: '', params: {} };
  const p = v.params ?? {};
  const set = (name, value) => {
    const el = form.elements[name];
    if (el.type === 'checkbox') el.checked = !!value;
    else el.value = value ?? '';
  };
  set('label', f.label);
  set('id', f.id);
  set('path', f.path);
  set('type', f.type);
  set('rescanIntervalS', f.rescanIntervalS);
  set('fsWatcherEnabled', f.fsWatcherEnabled);
  set('fsWatcherDelayS', f.fsWatcherDelayS);
  set('ignorePerms', f.ignorePerms);
  set('versioningType', v.type);
  set('keep', p.keep ?? '5');
  set('cleanoutDays', p.cleanoutDays ?? '0');
  set('maxAgeDays', p.maxAge ? Math.round(Number(p.maxAge) / 86400) : '365');
  set('command', p.command ?? '');
  set('fsPath', v.fsPath ?? '');
  set('cleanupIntervalS', v.cleanupIntervalS ?? 3600);
  const shared = new Set((f.devices ?? []).map((d) => d.deviceID));
  const others = (state.cfg.devices ?? []).filter((d) => d.deviceID !== state.myId);
  $('#folder-devices').replaceChildren(
    h('legend', {}, 'Share with'),
    ...(others.length
      ? others.map((d) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'share', value: d.deviceID, checked: shared.has(d.deviceID) }), d.name || d.deviceID.slice(0, 7)))
      : [h('p', { class: 'hint' }, 'No remote devices yet.')]),
  );
  versioningFields(form);
}

function readForm(form, base) {
  const e = form.elements;
  const num = (name, fallback) => (e[name].value === '' ? fallback : Number(e[name].value));
  const type = e.versioningType.value;
  const params = {};
  if (type === 'simple') (params.keep = e.keep.value || '5'), (params.cleanoutDays = e.cleanoutDays.value || '0');
  if (type === 'trashcan') params.cleanoutDays = e.cleanoutDays.value || '0';
  if (type === 'staggered') params.maxAge = String(num('maxAgeDays', 365) * 86400);
  if (type === 'external') params.command = e.command.value;
  const keep = new Set((base.devices ?? []).map((d) => d.deviceID));
  const chosen = new Set($$('input[name="share"]:checked', form).map((i) => i.value));
  const devices = [...(base.devices ?? []).filter((d) => d.deviceID === state.myId || chosen.has(d.deviceID)), ...[...chosen].filter((id) => !keep.has(id)).map((deviceID) => ({ deviceID }))];
  return {
    ...base,
    id: e.id.value.trim(),
    label: e.label.value,
    path: e.path.value.trim(),
    type: e.type.value,
    rescanIntervalS: num('rescanIntervalS', 3600),
    fsWatcherEnabled: e.fsWatcherEnabled.checked,
    fsWatcherDelayS: num('fsWatcherDelayS', 10),
    ignorePerms: e.ignorePerms.checked,
    devices,
    versioning: { ...(base.versioning ?? {}), type, params, fsPath: e.fsPath.value, cleanupIntervalS: num('cleanupIntervalS', 3600) },
  };
}

/** Which field a server message is about, so it can be shown next to it. */
function fieldOf(message) {
  if (/path/i.test(message)) return 'path';
  if (/\bID\b/.test(message)) return 'id';
  return 'form';
}

async function showDialog(base, isNew) {
  const dialog = $('#folder-dialog');
  const form = $('#folder-form');
  clearErrors(form);
  $('#folder-dialog-title').textContent = isNew ? 'Add folder' : `Edit folder ${base.label || base.id}`;
  fillForm(form, base);
  form.elements.id.readOnly = !isNew;
  form.elements.versioningType.onchange = () => versioningFields(form);
  form.elements.path.oninput = () => completePaths(form.elements.path);
  const remove = $('#folder-remove');
  remove.hidden = isNew;
  remove.onclick = async () => {
    if (!confirm(`Remove folder ${base.label || base.id}? Its files stay on disk.`)) return;
    await api('DELETE', `config/folders/${q(base.id)}`);
    dialog.close();
  };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const f = readForm(form, base);
    if (f.id === '') return fieldError(form, 'id', 'The folder ID must not be empty.');
    if (isNew && state.cfg.folders.some((x) => x.id === f.id)) return fieldError(form, 'id', `A folder with the ID "${f.id}" already exists.`);
    if (f.path === '') return fieldError(form, 'path', 'The folder path must not be empty.');
    try {
      if (isNew) await api('POST', 'config/folders', f);
      else await api('PUT', `config/folders/${q(f.id)}`, f);
      dialog.close();
    } catch (err) {
      fieldError(form, fieldOf(err.message), err.message);
    }
  };
  openDialog(dialog);
  (isNew ? form.elements.label : form.elements.path).focus();
}

/** Opens the add dialog; `offer` (a folder another device offered) fills in its ID, label and sharing. */
export async function addFolder(offer) {
  const defaults = await get('config/defaults/folder');
  const id = offer?.id ?? (await get('svc/random/string?length=10')).random.toLowerCase().replace(/(.{5})/, '$1-');
  await showDialog({ ...defaults, id, label: offer?.label ?? '', path: '', devices: [...(defaults.devices ?? []), ...(offer?.devices ?? [])] }, true);
}

export function editFolder(f) {
  return showDialog(structuredClone(f), false);
}
