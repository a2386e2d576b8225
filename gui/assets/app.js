// A minimal page: it signs in the way Syncthing's GUI does (CSRF cookie → header, /meta.js) and
// shows this device. The full GUI is built on the same calls.
(function () {
  const meta = window.metadata;
  const $ = (id) => document.getElementById(id);
  const csrf = () => {
    if (!meta) return {};
    const name = 'CSRF-Token-' + meta.deviceIDShort;
    const c = document.cookie.split('; ').find((x) => x.startsWith(name + '='));
    return c ? { ['X-CSRF-Token-' + meta.deviceIDShort]: c.slice(name.length + 1) } : {};
  };
  const api = async (path) => {
    const res = await fetch('rest/' + path, { headers: csrf() });
    if (res.status === 403) { location.reload(); throw new Error('forbidden'); }
    return res.json();
  };
  if (!meta) {
    $('login').hidden = false;
    $('login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(ev.target);
      const res = await fetch('rest/noauth/auth/password', {
        method: 'POST',
        body: JSON.stringify({ username: f.get('username'), password: f.get('password'), stayLoggedIn: f.get('stayLoggedIn') === 'on' }),
      });
      if (res.status === 204) location.reload();
      else $('login-error').textContent = res.status === 403 ? 'Wrong user name or password.' : 'Sign-in failed.';
    });
    return;
  }
  $('device').hidden = false;
  $('device-id').textContent = meta.deviceID;
  api('system/version').then((v) => ($('version').textContent = v.longVersion));
  const refresh = async () => {
    const [status, cfg] = await Promise.all([api('system/status'), api('config')]);
    $('uptime').textContent = status.uptime + ' s';
    $('folders').replaceChildren(...cfg.folders.map((f) => Object.assign(document.createElement('li'), { textContent: `${f.label || f.id} — ${f.path}` })));
  };
  refresh();
  setInterval(refresh, 10000);
})();
