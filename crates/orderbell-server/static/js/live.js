// A live link to the server over Server-Sent Events that never gives up: the browser
// reconnects by itself after network errors; when the server closes the stream for good
// (an error answer), we open a new one with a growing delay. `onsync` runs on every
// (re)connection — the page re-reads what it shows, which replays anything it missed.
// `reopen(url)` moves the link to another URL (the dashboard adds `?sound=1` once its alarm
// can be heard, so the server counts it as a listener).

export function connect(url, { onsync, onchange, onstate }) {
  let current = url;
  let source = null;
  let delay = 1000;
  let timer = null;
  const state = (up) => onstate && onstate(up);

  function open() {
    clearTimeout(timer);
    source = new EventSource(current);
    source.addEventListener('hello', () => { delay = 1000; state(true); onsync(); });
    source.addEventListener('resync', () => onsync());
    source.addEventListener('change', (e) => {
      let data = {};
      try { data = JSON.parse(e.data); } catch { /* a hint only */ }
      onchange ? onchange(data) : onsync();
    });
    source.addEventListener('error', () => {
      state(false);
      if (source.readyState === EventSource.CLOSED) {
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      }
    });
  }

  window.addEventListener('online', () => {
    if (!source || source.readyState === EventSource.CLOSED) open();
  });
  window.addEventListener('offline', () => state(false));
  open();
  return {
    close: () => source && source.close(),
    url: () => current,
    reopen(next) {
      if (next === current) return;
      current = next;
      if (source) source.close();
      delay = 1000;
      open();
    },
  };
}

// Fetches a page fragment (same origin, with the session cookie).
export async function fetchHtml(url) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { 'x-requested-with': 'orderbell' } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.text();
}
