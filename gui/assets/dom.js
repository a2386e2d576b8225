// Small DOM helpers: element building, formatting, dialogs.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** h('button', {type: 'button', onclick}, 'text', child…): attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

export function duration(s) {
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${hr}h` : hr ? `${hr}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

export function when(iso) {
  if (!iso || iso.startsWith('1970-') || iso.startsWith('0001-')) return 'never';
  return new Date(iso).toLocaleString();
}

/** Opens a <dialog>; its [data-close] buttons close it; focus returns to where it was. */
export function openDialog(dialog) {
  const back = document.activeElement;
  for (const b of $$('[data-close]', dialog)) b.onclick = () => dialog.close();
  dialog.addEventListener('close', () => back?.focus?.(), { once: true });
  dialog.showModal();
}

/** Writes a server message next to the field it is about (p.error[data-for=name]). */
export function fieldError(form, name, message) {
  const p = $(`.error[data-for="${name}"]`, form);
  if (p) p.textContent = message ?? '';
  const input = form.elements[name];
  if (input) input.setAttribute('aria-invalid', message ? 'true' : 'false');
}

export function clearErrors(form) {
  for (const p of $$('.error[data-for]', form)) p.textContent = '';
  for (const i of $$('[aria-invalid]', form)) i.removeAttribute('aria-invalid');
}
