import { get, q } from './api.js';
import { $, h } from './dom.js';

// The activity view: the live event list (newest first, the last 200) and the system log.

const MAX = 200;

function summary(e) {
  const d = e.data ?? {};
  switch (e.type) {
    case 'StateChanged':
      return `${d.folder}: ${d.from} → ${d.to}`;
    case 'LocalChangeDetected':
    case 'RemoteChangeDetected':
      return `${d.folder}: ${d.action} ${d.type} ${d.path}`;
    case 'LocalIndexUpdated':
      return `${d.folder}: ${d.items} item${d.items === 1 ? '' : 's'} indexed${d.filenames ? ` (${d.filenames.slice(0, 5).join(', ')}${d.filenames.length > 5 ? ', …' : ''})` : ''}`;
    case 'FolderSummary':
      return `${d.folder}: ${d.summary?.localFiles} files, ${d.summary?.state}`;
    case 'FolderScanProgress':
      return `${d.folder}: ${d.current} of ${d.total} bytes`;
    case 'ConfigSaved':
      return `configuration version ${d.version}`;
    default:
      return typeof e.data === 'object' ? JSON.stringify(e.data).slice(0, 200) : String(e.data ?? '');
  }
}

export function addEvent(e) {
  const list = $('#event-list');
  list.prepend(h('li', { dataset: { type: e.type } }, h('time', { datetime: e.time }, new Date(e.time).toLocaleTimeString()), ' ', h('strong', {}, e.type), ' ', summary(e)));
  while (list.children.length > MAX) list.lastChild.remove();
}

let lastLog = '';
export async function refreshLog() {
  const r = await get(`system/log${lastLog ? `?since=${q(lastLog)}` : ''}`);
  const list = $('#log-list');
  for (const m of r.messages ?? []) {
    list.prepend(h('li', { class: `level-${m.level}` }, h('time', { datetime: m.when }, new Date(m.when).toLocaleTimeString()), ' ', m.message));
    lastLog = m.when;
  }
  while (list.children.length > 500) list.lastChild.remove();
}

export function setupActivity() {
  $('#clear-events').onclick = () => $('#event-list').replaceChildren();
  $('#refresh-log').onclick = () => refreshLog();
}
