// The guest's shop page: option limits checked while choosing, add to the order without
// leaving the page, and checkout fields for the chosen way of getting the order.
import { enhance, postForm } from './forms.js';

function checkGroup(fieldset) {
  const min = Number(fieldset.dataset.min || 0);
  const max = Number(fieldset.dataset.max || 1);
  const boxes = [...fieldset.querySelectorAll('input[type=checkbox]')];
  if (boxes.length === 0) return true;
  const chosen = boxes.filter((b) => b.checked).length;
  boxes.forEach((b) => { if (!b.checked) b.disabled = b.dataset.soldOut === '1' || chosen >= max; });
  const message = fieldset.querySelector('.group-error');
  const ok = chosen >= min && chosen <= max;
  if (message) {
    message.hidden = ok;
    message.textContent = ok ? '' : fieldset.querySelector('.rule')?.textContent || '';
  }
  boxes[0].setCustomValidity(ok ? '' : (fieldset.querySelector('.rule')?.textContent || 'invalid'));
  return ok;
}

function setUpGroups(root) {
  root.querySelectorAll('fieldset.group').forEach((fs) => {
    fs.querySelectorAll('input[type=checkbox]').forEach((b) => { if (b.disabled) b.dataset.soldOut = '1'; });
    checkGroup(fs);
    fs.addEventListener('change', () => checkGroup(fs));
  });
}

function showFulfillment() {
  const form = document.getElementById('checkout');
  if (!form) return;
  const kind = form.querySelector('input[name=fulfillment]:checked')?.value || 'pickup';
  form.querySelectorAll('[data-for]').forEach((el) => {
    el.hidden = el.dataset.for !== kind;
  });
  const address = form.querySelector('#c-address');
  if (address) address.required = kind === 'delivery';
  // A delivery order's total has the delivery fee in it.
  const delivery = form.querySelector('[data-total=delivery]');
  if (delivery) {
    delivery.hidden = kind !== 'delivery';
    form.querySelector('[data-total=items]').hidden = kind === 'delivery';
  }
}

function replaceFrom(doc, id) {
  const fresh = doc.getElementById(id);
  const old = document.getElementById(id);
  if (fresh && old) old.replaceWith(fresh);
  return fresh;
}

async function updateCart(form, submitter) {
  const res = await postForm(form, submitter);
  const html = await res.text();
  const doc = new DOMParser().parseFromString(html, 'text/html');
  if (!res.ok) {
    // Show the server's message next to the item, keep the rest of the page.
    const item = form.closest('li.item');
    if (item && item.id) {
      const fresh = doc.getElementById(item.id);
      if (fresh) { item.replaceWith(fresh); setUpGroups(fresh); }
    }
    return;
  }
  replaceFrom(doc, 'cart-summary');
  replaceFrom(doc, 'cart-bar');
  const summary = document.getElementById('cart-summary');
  const count = Number(summary?.dataset.count || 0);
  const checkout = document.getElementById('checkout');
  if (checkout) {
    checkout.hidden = count === 0;
    doc.querySelectorAll('#checkout [data-total]').forEach((total) => {
      const mine = checkout.querySelector(`[data-total=${total.dataset.total}]`);
      if (mine) mine.textContent = total.textContent;
    });
  }
  const qty = form.querySelector('input[name=quantity]');
  if (qty) qty.value = '1';
  summary?.querySelector('[role=status]')?.focus?.();
}

document.addEventListener('DOMContentLoaded', () => {
  setUpGroups(document);
  enhance(document, 'form[data-enhance=cart]', updateCart);
  const checkout = document.getElementById('checkout');
  if (checkout) {
    checkout.addEventListener('change', (e) => { if (e.target.name === 'fulfillment') showFulfillment(); });
    showFulfillment();
    checkout.addEventListener('submit', () => {
      const button = checkout.querySelector('#place-order');
      // The form carries a one-time key, so a second click would not make a second order
      // anyway; this only avoids the confusing wait.
      setTimeout(() => { if (button) button.disabled = true; }, 0);
    });
  }
});
