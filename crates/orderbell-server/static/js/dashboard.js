// The live dashboard: the board is re-read on every live event (and on every reconnection,
// which replays what was missed), the alarm rings while any new order is unseen, actions post
// without leaving the page, the screen stays on, and an offline banner shows when the live
// link is down. While its alarm can be heard the page keeps its live link at `?sound=1`, which
// makes the server count it as a listener; the readiness strip (and the red "nobody would hear
// a new order" banner) is re-read on every live event and every 30 seconds, and each unanswered
// order's age every 15 seconds (escalation.js).
import { connect, fetchHtml } from './live.js';
import { enhance, postForm } from './forms.js';
import { Alarm } from './alarm.js';
import { readiness, syncClock, updateAges } from './escalation.js';

const app = document.getElementById('board-app');
const board = document.getElementById('board');
const gate = document.getElementById('sound-gate');
const banner = document.getElementById('offline-banner');
const strip = document.getElementById('readiness');
const ready = strip ? readiness(strip, document.getElementById('unheard-banner')) : null;
const baseTitle = document.title;
const ageWords = {
  now: app?.dataset.ageNow || '',
  minutes: app?.dataset.ageMinutes || '{n}',
  hours: app?.dataset.ageHours || '{h}:{m}',
};
const AGE_EVERY_MS = 15000;
const READINESS_EVERY_MS = 30000;
let live = null;

function tickAges() {
  updateAges(document, ageWords);
}

// The live link's URL: with `?sound=1` while the alarm can be heard.
function liveUrl() {
  const base = app?.dataset.live || '';
  return alarm.audible() ? `${base}?sound=1` : base;
}

function unseen() {
  return document.querySelectorAll('.order-card[data-status=pending][data-acknowledged=false]').length;
}

const alarm = new Alarm((state) => {
  if (gate) gate.hidden = alarm.audible();
  document.body.dataset.sound = alarm.audible() ? 'on' : 'off';
  const n = unseen();
  document.title = state === 'off' ? baseTitle : `(${n}) ${app?.dataset.alert || '!'} ${baseTitle}`;
  document.body.classList.toggle('alarming', state !== 'off');
  if (live) live.reopen(liveUrl());
});

function refreshAlarm() {
  alarm.set(unseen() > 0);
}

// A card someone is working in: focus inside, a panel open, or a number typed.
function busy(card) {
  return card.contains(document.activeElement)
    || card.querySelector('details[open]') !== null
    || [...card.querySelectorAll('input:not([type=hidden]), textarea')].some((i) => i.value !== '');
}

// Puts the new board in place card by card: a card someone is working in stays as it is (its
// typed text, open panels and focus) while its order has not moved on; everything else is new.
function patchBoard(html) {
  const next = document.createElement('div');
  next.innerHTML = html;
  const kept = new Map();
  board.querySelectorAll('.order-card').forEach((card) => { if (busy(card)) kept.set(card.id, card); });
  const active = document.activeElement;
  next.querySelectorAll('.order-card').forEach((fresh) => {
    const card = kept.get(fresh.id);
    if (card && card.dataset.status === fresh.dataset.status) fresh.replaceWith(card);
  });
  board.replaceChildren(...next.childNodes);
  if (active && active !== document.activeElement && active.isConnected) active.focus({ preventScroll: true });
}

// After an action someone else beat: the server's words for what happened, at the top.
function showStale(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const notice = doc.getElementById('stale-notice');
  document.getElementById('stale-notice')?.remove();
  if (notice) app.insertBefore(document.adoptNode(notice), board);
}

// The board's clock, in the shop's time zone.
function tickClock() {
  const clock = document.getElementById('board-clock');
  if (!clock) return;
  try {
    clock.textContent = new Intl.DateTimeFormat(clock.dataset.lang || undefined, {
      timeZone: clock.dataset.tz || undefined, hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).format(new Date());
  } catch { /* an unknown zone keeps the server's time */ }
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
        patchBoard(await fetchHtml(app.dataset.fragment));
        syncClock(document.getElementById('columns')?.dataset.now);
        tickAges();
        document.body.dataset.synced = String(Date.now());
      } catch (err) {
        console.warn(err);
      }
    } while (again);
    refreshAlarm();
    ready?.refresh();
    syncing = null;
  })();
  return syncing;
}

// Print buttons are on the board only when the shop has a printer; each press says how it went.
document.addEventListener('click', async (event) => {
  const button = event.target.closest?.('[data-print]');
  if (!button) return;
  const result = button.nextElementSibling?.classList.contains('print-result') ? button.nextElementSibling : null;
  button.disabled = true;
  let ok = false;
  try {
    const res = await fetch(button.dataset.print, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' });
    ok = res.ok;
  } catch { ok = false; }
  button.disabled = false;
  if (result) {
    result.textContent = ok ? button.dataset.sent : button.dataset.failed;
    result.className = `print-result ${ok ? 'ok' : 'warn'}`;
    result.hidden = false;
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
  // Whether the server counts this page as a dashboard with sound right now.
  document.body.dataset.liveSound = up && live?.url().endsWith('sound=1') ? 'on' : 'off';
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
    if (!board) { window.location.assign(res.url); return; }
    // The action is done: the card may go now even while someone was typing in it.
    form.closest('.order-card')?.querySelectorAll('details[open]').forEach((d) => { d.open = false; });
    form.reset();
    document.activeElement?.blur?.();
    showStale(await res.text());
    await sync();
  });
  enhance(document, 'form[data-enhance=pause]', async (form, submitter) => {
    const res = await postForm(form, submitter);
    if (!res.ok) throw new Error(`pause failed: ${res.status}`);
    await ready?.refresh();
  });
  keepAwake();
  syncClock(document.getElementById('columns')?.dataset.now || app?.dataset.now);
  tickAges();
  setInterval(tickAges, AGE_EVERY_MS);
  tickClock();
  setInterval(tickClock, 10000);
  if (ready) setInterval(() => ready.refresh(), READINESS_EVERY_MS);
  if (app?.dataset.live) {
    setLive(false);
    live = connect(liveUrl(), { onsync: sync, onchange: (event) => {
      if (event.kind === 'printer_status' || event.kind === 'print_jobs') {
        document.dispatchEvent(new CustomEvent('orderbell:printer-status', { detail: event }));
      }
      if (event.kind === 'notifications') {
        document.dispatchEvent(new CustomEvent('orderbell:notifications', { detail: event }));
        ready?.refresh();
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
