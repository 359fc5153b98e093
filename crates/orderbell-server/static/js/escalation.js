// Never miss an order, on the dashboard: how long each unanswered order has waited (counted from
// the server's clock, so a device whose clock is wrong still tells the truth), and the readiness
// strip re-read from GET /api/v1/shops/{slug}/readiness, with the red banner while the shop is
// open and nobody would hear a new order. The words come from the page, in its language (data
// attributes and <template id="readiness-words">); times are said in the shop's time zone the
// way the server says them (pages/views.rs `when`: 12:40, tomorrow 09:00, 2026-12-26 09:00).

// The server's clock minus this device's clock, in milliseconds.
let offset = 0;

// Takes the server's time (ms since the epoch) that came with the board.
export function syncClock(serverNow) {
  const n = Number(serverNow);
  if (Number.isFinite(n) && n > 0) offset = n - Date.now();
}

function now() {
  return Date.now() + offset;
}

// `just now`, `3 min`, `1 h 5 min` (words: { now, minutes, hours }).
export function ageText(ms, words) {
  const minutes = Math.floor(Math.max(0, ms) / 60000);
  if (minutes < 1) return words.now;
  if (minutes < 60) return words.minutes.replace('{n}', String(minutes));
  return words.hours.replace('{h}', String(Math.floor(minutes / 60))).replace('{m}', String(minutes % 60));
}

// Rewrites every `.age[data-created]` under `root`.
export function updateAges(root, words) {
  root.querySelectorAll('.age[data-created]').forEach((el) => {
    const value = el.querySelector('.age-value') || el;
    const text = ageText(now() - Number(el.dataset.created), words);
    if (value.textContent !== text) value.textContent = text;
  });
}

const formats = new Map();
function parts(ms, tz) {
  if (!formats.has(tz)) {
    formats.set(tz, new Intl.DateTimeFormat('en-CA', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }));
  }
  const p = Object.fromEntries(formats.get(tz).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

function dayAfter(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// A time to come in the shop's zone: `12:40` today, `tomorrow 09:00`, else the date too.
export function when(iso, tz, tomorrow) {
  let at;
  let today;
  try {
    at = parts(Date.parse(iso), tz);
    today = parts(now(), tz);
  } catch {
    return iso;
  }
  if (at.date === today.date) return at.time;
  if (at.date === dayAfter(today.date)) return `${tomorrow} ${at.time}`;
  return `${at.date} ${at.time}`;
}

// The readiness strip (`#readiness`) and the banner; `refresh()` re-reads the JSON.
export function readiness(strip, banner) {
  const words = document.getElementById('readiness-words');
  const word = (key) => words?.content.querySelector(`[data-key="${key}"]`)?.textContent ?? '';
  const byId = (id) => document.getElementById(id);

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function setPill(el, text, ok) {
    if (!el) return;
    setText(el, text);
    el.classList.toggle('on', ok);
    el.classList.toggle('off', !ok);
  }

  function render(r) {
    const tz = strip.dataset.tz || 'UTC';
    const tomorrow = word('tomorrow');
    let state;
    if (r.open) state = word('open');
    else if (r.paused_until) state = word('paused_until').replace('{time}', when(r.paused_until, tz, tomorrow));
    else if (r.reopens_at) state = word('closed_until').replace('{time}', when(r.reopens_at, tz, tomorrow));
    else state = word('closed');
    setPill(byId('ready-state'), state, !!r.open);
    setPill(byId('ready-hearing'), word(r.hearing ? 'hearing' : 'not_hearing'), !!r.hearing);
    const counts = r.listeners || {};
    setText(byId('ready-dashboards'), String(counts.dashboards ?? 0));
    setText(byId('ready-printers'), String(counts.printers ?? 0));
    setText(byId('ready-channels'), String(counts.channels ?? 0));
    const list = byId('ready-problems');
    if (list) {
      const texts = [];
      for (const p of r.problems || []) {
        const text = word(`problem-${p.code}`) || word('problem-other');
        if (!texts.includes(text)) texts.push(text);
      }
      const shown = [...list.children].map((li) => li.textContent);
      if (shown.join('\n') !== texts.join('\n')) {
        list.replaceChildren(...texts.map((t) => {
          const li = document.createElement('li');
          li.textContent = t;
          return li;
        }));
      }
      list.hidden = texts.length === 0;
    }
    strip.dataset.open = String(!!r.open);
    strip.dataset.hearing = String(!!r.hearing);
    document.body.dataset.hearing = String(!!r.hearing);
    if (banner) banner.hidden = !(r.open && !r.hearing);
    const paused = !!r.paused_until;
    const pause = byId('pause-buttons');
    const resume = byId('resume-form');
    if (pause) pause.hidden = paused;
    if (resume) resume.hidden = !paused;
  }

  let running = null;
  let again = false;
  async function refresh() {
    if (running) { again = true; return running; }
    running = (async () => {
      do {
        again = false;
        try {
          const res = await fetch(strip.dataset.url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
          if (res.ok) {
            render(await res.json());
            document.body.dataset.readiness = String(Date.now());
          }
        } catch (err) {
          console.warn('readiness', err);
        }
      } while (again);
      running = null;
    })();
    return running;
  }

  document.body.dataset.hearing = strip.dataset.hearing || 'false';
  return { refresh, render };
}
