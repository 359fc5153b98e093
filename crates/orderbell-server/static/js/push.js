// Web Push opt-in buttons: `[data-push-url]` blocks (the tracking page's "notify me in this
// browser" and the channels page's "enable push on this device"). The block stays hidden
// where the browser cannot do push. A tap asks for permission, subscribes with the server's
// VAPID key (`data-vapid-key`, else GET /api/v1/push/vapid-public-key) through the service
// worker /sw.js (which shows the pushes), and POSTs `PushSubscription.toJSON()` with the
// page language to `data-push-url`.

function keyBytes(base64url) {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function vapidKey(block) {
  if (block.dataset.vapidKey) return block.dataset.vapidKey;
  const res = await fetch('/api/v1/push/vapid-public-key', { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`vapid key: ${res.status}`);
  return (await res.json()).public_key;
}

async function subscribe(block) {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'denied';
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(await vapidKey(block)),
    });
  }
  const body = { ...subscription.toJSON(), locale: document.documentElement.lang || navigator.language };
  const res = await fetch(block.dataset.pushUrl, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`push subscription: ${res.status}`);
  return 'done';
}

document.addEventListener('DOMContentLoaded', () => {
  const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  if (!supported) return;
  for (const block of document.querySelectorAll('[data-push-url]')) {
    const button = block.querySelector('[data-push-button]');
    const state = block.querySelector('[data-push-state]');
    if (!button) continue;
    block.hidden = false;
    const show = (what) => {
      if (state) state.textContent = block.dataset[what] || '';
      block.dataset.pushState = what;
    };
    if (Notification.permission === 'denied') show('denied');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const outcome = await subscribe(block);
        show(outcome);
        button.disabled = outcome === 'done';
      } catch (err) {
        console.warn(err);
        show('failed');
        button.disabled = false;
      }
    });
  }
});
