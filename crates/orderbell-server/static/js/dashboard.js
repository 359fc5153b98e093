// The live dashboard: the board is re-read on every live event (and on every reconnection,
// which replays what was missed), the alarm rings while any new order is unseen, actions post
// without leaving the page, the screen stays on, and an offline banner shows when the live
// link is down.
import { connect, fetchHtml } from './live.js';
import { enhance, postForm } from './forms.js';
import { Alarm } from './alarm.js';

const app = document.getElementById('board-app');
const board = document.getElementById('board');
const gate = document.getElementById('sound-gate');
const banner = document.getElementById('offline-banner');
const baseTitle = document.title;

function unseen() {
  return document.querySelectorAll('.order-card[data-status=pending][data-acknowledged=false]').length;
}

const alarm = new Alarm((state) => {
  if (gate) gate.hidden = alarm.audible();
  const n = unseen();
  document.title = state === 'off' ? baseTitle : `(${n}) ${app?.dataset.alert || '!'} ${baseTitle}`;
  document.body.classList.toggle('alarming', state !== 'off');
});

function refreshAlarm() {
  alarm.set(unseen() > 0);
}

let syncing = null;
let again = false;
async function sync() {
  if (!board || !app?.dataset.fragment) return;
  if (syncing) { again = true; return syncing; }
  syncing = (async () => {
    do {
      again = false;
      try {
        board.innerHTML = await fetchHtml(app.dataset.fragment);
        document.body.dataset.synced = String(Date.now());
      } catch (err) {
        console.warn(err);
      }
    } while (again);
    refreshAlarm();
    probePrint();
    syncing = null;
  })();
  return syncing;
}

// Print buttons appear only when the server has the print route (GET on a POST-only route
// answers 405; a missing route answers 404). Probed once per page.
let printable = null;
async function probePrint() {
  const first = document.querySelector('[data-print]');
  if (!first) return;
  if (printable === null) {
    try {
      const res = await fetch(first.dataset.print, { credentials: 'same-origin' });
      printable = res.status === 405;
    } catch { printable = false; }
  }
  document.querySelectorAll('[data-print]').forEach((b) => { b.hidden = !printable; });
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest?.('[data-print]');
  if (!button) return;
  button.disabled = true;
  try {
    await fetch(button.dataset.print, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' });
  } finally {
    button.disabled = false;
  }
});

// Keep the screen on while the dashboard is open.
let wakeLock = null;
async function keepAwake() {
  if (!('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
  try {
    wakeLock = await navigator.wakeLock.request('screen');
    document.body.dataset.wakeLock = 'on';
    wakeLock.addEventListener('release', () => { document.body.dataset.wakeLock = 'off'; });
  } catch { document.body.dataset.wakeLock = 'denied'; }
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') { keepAwake(); sync(); }
});

function setLive(up) {
  document.body.dataset.live = up ? 'up' : 'down';
  if (banner) banner.hidden = up;
}

async function start() {
  document.body.dataset.alarm = 'off';
  refreshAlarm();
  if (gate) {
    gate.addEventListener('click', async () => {
      await alarm.unlock();
      gate.hidden = true;
    });
  }
  await alarm.tryAutoUnlock();
  if (gate) gate.hidden = alarm.audible();
  enhance(document, 'form[data-enhance=action]', async (form, submitter) => {
    const res = await postForm(form, submitter);
    if (!res.ok) throw new Error(`action failed: ${res.status}`);
    if (board) await sync(); else window.location.reload();
  });
  keepAwake();
  probePrint();
  if (app?.dataset.live) {
    setLive(false);
    connect(app.dataset.live, { onsync: sync, onchange: (event) => {
      if (event.kind === 'printer_status' || event.kind === 'print_jobs') {
        document.dispatchEvent(new CustomEvent('orderbell:printer-status', { detail: event }));
      }
      if (event.kind === 'notifications') {
        document.dispatchEvent(new CustomEvent('orderbell:notifications', { detail: event }));
        return;
      }
      sync();
    }, onstate: setLive });
  }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err) => console.warn('service worker', err));
  }
}

document.readyState === 'loading' ? document.addEventListener('DOMContentLoaded', start) : start();
