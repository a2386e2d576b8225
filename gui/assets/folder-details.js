import { api, get, q } from './api.js';
import { $, $$, bytes, h, openDialog, when } from './dom.js';

// One folder's dialog: its files (browse and details), ignores, versions, local changes and errors.

let current;
let tab = 'browse';

function selectTab(name) {
  tab = name;
  const dialog = $('#details-dialog');
  for (const t of $$('[role="tab"]', dialog)) t.setAttribute('aria-selected', String(t.dataset.tab === name));
  for (const p of $$('[role="tabpanel"]', dialog)) p.hidden = p.dataset.panel !== name;
  ({ browse: () => browse(''), ignores: loadIgnores, versions: loadVersions, changes: loadChanges, conflicts: loadConflicts, errors: loadErrors })[name]();
}

async function browse(prefix) {
  const f = current.folder;
  const crumbs = [h('button', { type: 'button', class: 'link', onclick: () => browse('') }, f.label || f.id)];
  let acc = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    acc += (acc ? '/' : '') + part;
    const to = acc;
    crumbs.push(' / ', h('button', { type: 'button', class: 'link', onclick: () => browse(to) }, part));
  }
  $('#crumbs').replaceChildren(...crumbs);
  $('#file-details').hidden = true;
  let entries = [];
  try {
    entries = (await get(`db/browse?folder=${q(f.id)}&levels=0${prefix ? `&prefix=${q(prefix)}` : ''}`)) ?? [];
  } catch (err) {
    $('#tree').replaceChildren(h('li', { class: 'error' }, err.message));
    return;
  }
  entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'FILE_INFO_TYPE_DIRECTORY' ? -1 : 1));
  $('#tree').replaceChildren(
    ...entries.map((e) => {
      const path = prefix ? `${prefix}/${e.name}` : e.name;
      const dir = e.type === 'FILE_INFO_TYPE_DIRECTORY';
      return h('li', {}, h('button', { type: 'button', class: `link ${dir ? 'dir' : 'file'}`, onclick: () => (dir ? browse(path) : fileDetails(path)) }, dir ? `${e.name}/` : e.name), dir ? '' : h('span', { class: 'muted' }, ` ${bytes(e.size)}`));
    }),
  );
  if (entries.length === 0) $('#tree').append(h('li', { class: 'empty' }, 'Nothing here.'));
}

async function fileDetails(path) {
  const box = $('#file-details');
  box.hidden = false;
  try {
    const d = await get(`db/file?folder=${q(current.folder.id)}&file=${q(path)}`);
    const l = d.local;
    box.replaceChildren(
      h('h3', {}, path),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Size'), h('dd', {}, bytes(l.size)),
        h('dt', {}, 'Modified'), h('dd', {}, when(l.modified)),
        h('dt', {}, 'Permissions'), h('dd', {}, l.noPermissions ? 'not kept' : l.permissions),
        h('dt', {}, 'Blocks'), h('dd', {}, `${l.numBlocks}`),
        h('dt', {}, 'Sequence'), h('dd', {}, `${l.sequence}`),
        h('dt', {}, 'Version'), h('dd', {}, (l.version ?? []).join(', ') || '–'),
        h('dt', {}, 'Deleted'), h('dd', {}, l.deleted ? 'yes' : 'no'),
        h('dt', {}, 'Ignored'), h('dd', {}, l.ignored ? 'yes' : 'no'),
      ),
    );
  } catch (err) {
    box.replaceChildren(h('p', { class: 'error' }, err.message));
  }
  box.focus?.();
}

async function loadIgnores() {
  const form = $('#ignores-form');
  $('#ignores-error').textContent = '';
  $('#ignores-saved').textContent = '';
  // Not editable until loaded, so nothing typed is overwritten by the answer.
  form.elements.ignores.disabled = true;
  const r = await get(`db/ignores?folder=${q(current.folder.id)}`);
  form.elements.ignores.value = (r.ignore ?? []).join('\n');
  form.elements.ignores.disabled = false;
  form.elements.ignores.removeAttribute('aria-invalid');
  if (r.error) $('#ignores-error').textContent = r.error;
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    $('#ignores-error').textContent = '';
    $('#ignores-saved').textContent = '';
    const lines = form.elements.ignores.value.split('\n').map((l) => l.replace(/\r$/, ''));
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    try {
      const saved = await api('POST', `db/ignores?folder=${q(current.folder.id)}`, { ignore: lines });
      // As in Syncthing, the file is written even when a pattern is bad; the answer's error says which.
      if (saved?.error) {
        $('#ignores-error').textContent = saved.error;
        form.elements.ignores.setAttribute('aria-invalid', 'true');
      } else {
        $('#ignores-saved').textContent = 'Saved; the folder is rescanned.';
        form.elements.ignores.removeAttribute('aria-invalid');
      }
    } catch (err) {
      $('#ignores-error').textContent = err.message;
      form.elements.ignores.setAttribute('aria-invalid', 'true');
    }
  };
}

async function loadVersions() {
  const list = $('#versions-list');
  $('#versions-error').textContent = '';
  list.replaceChildren();
  let versions;
  try {
    versions = await get(`folder/versions?folder=${q(current.folder.id)}`);
  } catch (err) {
    $('#versions-error').textContent = current.folder.versioning?.type ? err.message : 'This folder keeps no versions (see Edit → File versioning).';
    return;
  }
  const paths = Object.keys(versions ?? {}).sort();
  if (paths.length === 0) list.append(h('li', { class: 'empty' }, 'No versions stored.'));
  for (const p of paths) {
    list.append(
      h(
        'li',
        { dataset: { path: p } },
        h('strong', {}, p),
        h(
          'ul',
          {},
          versions[p].map((v) =>
            h(
              'li',
              {},
              `${when(v.versionTime)} — ${bytes(v.size)} `,
              h('button', { type: 'button', onclick: () => restore(p, v.versionTime) }, 'Restore'),
            ),
          ),
        ),
      ),
    );
  }
}

async function restore(path, versionTime) {
  try {
    const errors = await api('POST', `folder/versions?folder=${q(current.folder.id)}`, { [path]: versionTime });
    const e = errors?.[path];
    $('#versions-error').textContent = e ? `${path}: ${e}` : '';
    if (!e) await loadVersions().then(() => ($('#versions-error').textContent = `Restored ${path}.`));
  } catch (err) {
    $('#versions-error').textContent = err.message;
  }
}

async function loadChanges() {
  const f = current.folder;
  const list = $('#changes-list');
  const revert = $('#revert');
  const override = $('#override');
  revert.hidden = f.type !== 'receiveonly';
  override.hidden = true;
  list.replaceChildren();
  if (f.type === 'sendonly') {
    // As Syncthing's GUI: Override is offered only when the other devices have changes this folder does not take.
    const [page, st] = await Promise.all([get(`db/need?folder=${q(f.id)}&perpage=500`), get(`db/status?folder=${q(f.id)}`)]);
    const items = [...page.progress, ...page.queued, ...page.rest];
    const n = Math.max(st.needTotalItems, items.length);
    override.hidden = n === 0;
    override.disabled = false;
    $('#changes-summary').textContent = n
      ? `${n} item${n === 1 ? '' : 's'} changed on other devices. Override makes them take this folder as it is here:`
      : 'Nothing to override: the other devices have this folder as it is here.';
    list.append(...items.map((x) => h('li', {}, `${x.deleted ? 'deleted there' : 'changed there'}: ${x.name}`)));
  } else if (f.type !== 'receiveonly') {
    $('#changes-summary').textContent = 'Only receive-only folders track local changes.';
  } else {
    const page = await get(`db/localchanged?folder=${q(f.id)}&perpage=500`);
    $('#changes-summary').textContent = page.files.length ? `${page.files.length} local change${page.files.length === 1 ? '' : 's'}:` : 'No local changes.';
    list.append(...page.files.map((x) => h('li', {}, `${x.deleted ? 'deleted' : 'changed'}: ${x.name}`)));
    revert.disabled = page.files.length === 0;
  }
  revert.onclick = async () => {
    if (!confirm('Revert: local changes are deleted or undone so the folder matches the other devices. Continue?')) return;
    // The revert runs in the folder's queue; the list reloads when its events arrive (folderChanged).
    revert.disabled = true;
    await api('POST', `db/revert?folder=${q(f.id)}`);
  };
  override.onclick = async () => {
    if (!confirm('Override: the other devices take this folder as it is here; their changes to it are replaced or deleted. Continue?')) return;
    override.disabled = true;
    await api('POST', `db/override?folder=${q(f.id)}`);
    await loadChanges();
  };
}

async function loadErrors() {
  const page = await get(`folder/errors?folder=${q(current.folder.id)}&perpage=500`);
  const errors = page.errors ?? [];
  $('#errors-summary').textContent = errors.length ? `${errors.length} item${errors.length === 1 ? '' : 's'} could not be synced; they are retried at the next pull.` : '';
  $('#errors-list').replaceChildren(...(errors.length ? errors.map((e) => h('li', {}, h('code', {}, e.path), `: ${e.error}`)) : [h('li', { class: 'empty' }, 'No errors.')]));
}

const CONFLICT = /^(.*)\.sync-conflict-(\d{8})-(\d{6})-([A-Z0-9]{7})(\.[^.]*)?$/;

/** The conflict copies in the folder (from the index), each with the file it is a copy of, when it was set aside and for whose version. */
async function loadConflicts() {
  const found = [];
  const walk = (entries, prefix) => {
    for (const e of entries ?? []) {
      const path = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.type === 'FILE_INFO_TYPE_DIRECTORY') walk(e.children, path);
      else if (CONFLICT.test(e.name)) found.push({ path, e });
    }
  };
  try {
    walk(await get(`db/browse?folder=${q(current.folder.id)}`), '');
  } catch (err) {
    $('#conflicts-list').replaceChildren(h('li', { class: 'error' }, err.message));
    return;
  }
  found.sort((a, b) => a.path.localeCompare(b.path));
  $('#conflicts-summary').textContent = found.length
    ? `${found.length} conflict cop${found.length === 1 ? 'y' : 'ies'}: another device changed these files at the same time. Keep the version you want and delete the other.`
    : '';
  $('#conflicts-list').replaceChildren(
    ...(found.length
      ? found.map(({ path, e }) => {
          const [, base, d, t, by, ext] = CONFLICT.exec(e.name);
          const made = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)} ${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}`;
          const dir = path.slice(0, path.length - e.name.length);
          // As 1.19.2 names it, the device in the name is the one whose version took the file's place.
          return h('li', { dataset: { conflict: path } }, h('code', {}, path), h('span', { class: 'muted' }, ` copy of ${dir}${base}${ext ?? ''}, set aside ${made} for the version from ${by}, ${bytes(e.size)}`));
        })
      : [h('li', { class: 'empty' }, 'No conflicts.')]),
  );
}

/** Called for each folder event: an open Local changes, Conflicts or Errors list follows the folder. */
export function folderChanged(id) {
  if (current?.folder.id !== id || !$('#details-dialog').open) return;
  if (tab === 'changes') loadChanges();
  else if (tab === 'conflicts') loadConflicts();
  else if (tab === 'errors') loadErrors();
}

export function openDetails(folder, view = 'browse') {
  current = { folder };
  const dialog = $('#details-dialog');
  $('#details-title').textContent = folder.label || folder.id;
  for (const t of $$('[role="tab"]', dialog)) t.onclick = () => selectTab(t.dataset.tab);
  openDialog(dialog);
  selectTab(view);
}
