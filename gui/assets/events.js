import { get } from './api.js';

// The event stream as Syncthing's GUI reads it: long polls of /rest/events?since=<last id>. When
// the service goes away the loop waits quietly, and when it is back with a new start time (a
// restart: event ids begin again at 1) it starts over from 0 and tells the page to reload its state.

const handlers = new Map();
let since = 0;
let startTime;
let onReconnect = () => {};
let onConnection = () => {};

export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(fn);
}

// A handler that fails (the service went away mid-refresh) must not stop the others or the loop;
// the reconnect reloads everything anyway.
function dispatch(e) {
  for (const fn of [...(handlers.get(e.type) ?? []), ...(handlers.get('*') ?? [])]) {
    Promise.resolve()
      .then(() => fn(e.data, e))
      .catch((err) => console.warn(`${e.type} handler:`, err.message));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForService() {
  onConnection(false);
  for (;;) {
    await sleep(1000);
    try {
      const status = await get('system/status');
      onConnection(true);
      if (status.startTime !== startTime) {
        startTime = status.startTime;
        since = 0;
        Promise.resolve().then(onReconnect).catch((err) => console.warn('reload after restart:', err.message));
      }
      return;
    } catch (err) {
      if (err.status === 401 || err.status === 403) return;
    }
  }
}

export async function start({ reconnect, connection, initialStartTime }) {
  onReconnect = reconnect;
  onConnection = connection;
  startTime = initialStartTime;
  for (;;) {
    let batch;
    try {
      batch = await get(`events?since=${since}&timeout=60`);
    } catch (err) {
      if (err.status === 401 || err.status === 403) return;
      await waitForService();
      continue;
    }
    for (const e of batch ?? []) {
      if (e.id <= since) continue;
      since = e.id;
      dispatch(e);
    }
  }
}
