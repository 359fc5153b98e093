// Orderbell's service worker (served at /sw.js; __ASSETS__ is replaced by the asset prefix).
// - push: shows a notification with the order number and items;
// - notificationclick: focuses an open dashboard, or opens one;
// - navigations that fail offline show the cached offline page.
//
// Push payload (JSON, all optional): {"title","body","number","items":[{"quantity","name"}]
// or ["2× Americano"], "shop", "order_id", "url", "tag"}.
const CACHE = 'orderbell-__ASSETS__';
const OFFLINE = '/offline';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((c) => c.addAll([OFFLINE, '__ASSETS__/app.css', '__ASSETS__/js/pwa.js', '__ASSETS__/icons/bell.svg']))
      .catch(() => {})
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('orderbell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  if (req.mode === 'navigate') {
    event.respondWith(fetch(req).catch(() => caches.match(OFFLINE).then((hit) => hit || Response.error())));
    return;
  }
  const url = new URL(req.url);
  if (url.origin === self.location.origin && url.pathname.startsWith('/static/')) {
    event.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
  }
});

function describe(data) {
  const number = data.number ? `#${data.number}` : '';
  const title = data.title || `New order ${number}`.trim();
  const items = Array.isArray(data.items)
    ? data.items.map((i) => (typeof i === 'string' ? i : `${i.quantity || 1}× ${i.name || ''}`)).join(', ')
    : '';
  const body = data.body || items;
  let url = data.url || (data.shop ? `/dashboard/${encodeURIComponent(data.shop)}` : '/dashboard');
  if (new URL(url, self.location.origin).origin !== self.location.origin) url = '/dashboard';
  return { title, body, url };
}

self.addEventListener('push', (event) => {
  let data = {};
  if (event.data) {
    try { data = event.data.json(); } catch { data = { body: event.data.text() }; }
  }
  const { title, body, url } = describe(data);
  const tag = data.tag || (data.order_id ? `order-${data.order_id}` : undefined);
  const options = {
    body,
    icon: '__ASSETS__/icons/icon-192.png',
    badge: '__ASSETS__/icons/maskable-192.png',
    requireInteraction: true,
    data: { url, number: data.number || null },
  };
  if (tag) { options.tag = tag; options.renotify = true; }
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/dashboard', self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const same = windows.find((c) => new URL(c.url).pathname === target.pathname);
    if (same) return same.focus();
    const dashboard = windows.find((c) => new URL(c.url).pathname.startsWith('/dashboard'));
    if (dashboard && 'navigate' in dashboard) {
      const navigated = await dashboard.navigate(target.href);
      return (navigated || dashboard).focus();
    }
    return self.clients.openWindow(target.href);
  })());
});
