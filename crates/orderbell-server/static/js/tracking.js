// The guest's tracking page: the status part is re-read whenever the order changes.
import { connect, fetchHtml } from './live.js';

document.addEventListener('DOMContentLoaded', () => {
  const root = document.querySelector('.tracking[data-live]');
  if (!root) return;
  const target = document.getElementById('order-live');
  const note = document.getElementById('live-note');
  const normal = note ? note.textContent : '';
  let last = target?.querySelector('[data-status]')?.dataset.status;
  async function sync() {
    try {
      const html = await fetchHtml(root.dataset.statusUrl);
      target.innerHTML = html;
      const status = target.querySelector('[data-status]')?.dataset.status;
      if (status && status !== last && navigator.vibrate) navigator.vibrate(200);
      last = status;
    } catch (err) {
      console.warn(err);
    }
  }
  connect(root.dataset.live, {
    onsync: sync,
    onchange: sync,
    onstate: (up) => {
      if (!note) return;
      note.textContent = up ? normal : note.dataset.lost;
      note.classList.toggle('lost', !up);
    },
  });
});
