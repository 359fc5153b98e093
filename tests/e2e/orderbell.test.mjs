// Orderbell in a real browser (Debian chromium driven by playwright-core).
// Needs a running server with the demo shop: ORDERBELL_URL, ORDERBELL_DEMO_EMAIL,
// ORDERBELL_DEMO_PASSWORD (crates/orderbell-server/tests/e2e_browser.rs starts one and sets them).
// Screenshots go to ORDERBELL_SCREENSHOTS (default: ../../target/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = process.env.ORDERBELL_URL || 'http://127.0.0.1:8080';
const EMAIL = process.env.ORDERBELL_DEMO_EMAIL || 'owner@demo.orderbell.example';
const PASSWORD = process.env.ORDERBELL_DEMO_PASSWORD;
const SHOTS = process.env.ORDERBELL_SCREENSHOTS || join(here, '..', '..', 'target', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// How soon a new order must show on an open dashboard.
const LIVE_MS = Number(process.env.ORDERBELL_E2E_LIVE_MS || 1000);

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 900 } };

let browser;
const problems = [];
// Console errors a test causes on purpose (a form answered 422 is logged as a failed resource).
const expectedErrors = [];

before(async () => {
  assert.ok(PASSWORD, 'ORDERBELL_DEMO_PASSWORD is required');
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
});

// Every page is watched for CSP violations, console errors (a failed request included), script
// errors and dialogs (an escaped `<script>` must never run).
function watch(page, name) {
  page.on('console', (msg) => {
    const text = msg.text();
    const expected = expectedErrors.some((re) => re.test(`${text} ${msg.location()?.url ?? ''}`));
    if (/Content Security Policy|Refused to/.test(text) || (msg.type() === 'error' && !expected)) {
      problems.push(`${name}: console ${msg.type()}: ${text} (${msg.location()?.url ?? ''})`);
    }
  });
  page.on('pageerror', (err) => problems.push(`${name}: page error ${err.message}`));
  page.on('dialog', async (d) => { problems.push(`${name}: dialog ${d.message()}`); await d.dismiss(); });
  return page;
}

async function newPage(options, name) {
  const context = await browser.newContext({ baseURL: BASE, locale: 'en-US', timezoneId: 'Asia/Seoul', ...options });
  return watch(await context.newPage(), name);
}

async function login(page) {
  await page.goto('/login?next=/dashboard/demo');
  await page.fill('#l-email', EMAIL);
  await page.fill('#l-password', PASSWORD);
  await Promise.all([page.waitForURL('**/dashboard/demo'), page.click('button[type=submit]')]);
}

async function dashboard(name) {
  const page = await newPage({ ...DESKTOP }, name);
  await page.context().grantPermissions(['notifications'], { origin: BASE });
  await login(page);
  await page.waitForSelector('body[data-live=up]');
  const gate = page.locator('#sound-gate');
  if (await gate.isVisible()) await gate.click();
  await page.waitForFunction(() => document.getElementById('sound-gate')?.hidden);
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// Accessibility: axe-core (WCAG 2 A and AA rules) on the page as it is; every serious or
// critical violation is a problem. The page's CSP keeps injected scripts out, so the contexts
// that run it bypass CSP (the other tests keep it).
const AXE = join(here, 'node_modules', 'axe-core', 'axe.min.js');
const accessibility = [];
async function axe(page, name) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  for (const f of found) accessibility.push(`${name}: ${f}`);
}

test('a guest orders on a phone; the dashboards ring, acknowledge, accept; tracking follows live', async () => {
  const counter = await dashboard('dashboard A');
  const kitchen = await dashboard('dashboard B');
  for (const d of [counter, kitchen]) {
    assert.equal(await d.evaluate(() => document.body.dataset.alarm), 'off');
  }

  const guest = await newPage({ ...PHONE }, 'guest');
  await guest.goto('/s/demo');
  const latte = guest.locator('li.item', { hasText: 'Caffè Latte' });
  await latte.locator('label.opt', { hasText: 'Large' }).click();
  await latte.locator('button[type=submit]').click();
  await guest.waitForSelector('#cart-summary[data-count="1"]');
  assert.equal(guest.url(), `${BASE}/s/demo`, 'the cart updates without leaving the page');
  await guest.waitForSelector('#checkout:not([hidden])');
  await guest.fill('#c-name', 'Kim "Tester" <b>');
  await guest.fill('#c-phone', '010-1234-5678');
  // Delivery shows its fee and area, and the button's total takes the fee in.
  const money = async (which) => Number((await guest.locator(`#place-order [data-total=${which}]`).textContent()).replace(/[^0-9]/g, ''));
  assert.equal(await guest.locator('#delivery-fee').isVisible(), false);
  await guest.check('input[name=fulfillment][value=delivery]');
  assert.match(await guest.locator('#delivery-fee').textContent(), /3,000/);
  assert.equal(await guest.locator('#place-order [data-total=delivery]').isVisible(), true);
  assert.equal(await guest.locator('#place-order [data-total=items]').isVisible(), false);
  assert.equal(await money('delivery'), (await money('items')) + 3000);
  await guest.check('input[name=fulfillment][value=dine_in]');
  assert.equal(await guest.locator('#place-order [data-total=items]').isVisible(), true);
  await guest.fill('#c-table', '7');
  await guest.fill('#c-note', 'less ice <script>alert("x")</script>');
  await shot(guest, 'phone-shop-checkout');
  await Promise.all([guest.waitForURL('**/o/**'), guest.click('#place-order')]);
  const placed = Date.now();
  await guest.waitForSelector('#order-status[data-status=pending]');
  const number = (await guest.locator('h1 .number').textContent()).replace('#', '').trim();

  // Both dashboards show it within a second, ringing.
  for (const d of [counter, kitchen]) {
    const card = d.locator(`.order-card[data-number="${number}"][data-status=pending]`);
    await card.waitFor({ timeout: Math.max(100, LIVE_MS - (Date.now() - placed)) });
    await d.waitForFunction(() => document.body.dataset.alarm === 'ringing', null, { timeout: 2000 });
    assert.match(await card.textContent(), /less ice <script>alert\("x"\)<\/script>/);
  }
  await shot(counter, 'desktop-dashboard-ringing');

  // Acknowledging on one dashboard stops the alarm on the other.
  await kitchen.locator(`.order-card[data-number="${number}"] button.ack`).click();
  for (const d of [counter, kitchen]) {
    await d.waitForFunction(() => document.body.dataset.alarm === 'off', null, { timeout: 3000 });
    await d.waitForSelector(`.order-card[data-number="${number}"][data-acknowledged=true]`);
  }

  // Accept with 15 minutes; the guest's page follows without reload.
  // Another time than the one-tap default: the small picker.
  await counter.locator(`.order-card[data-number="${number}"] details.eta-more summary`).click();
  await counter.locator(`.order-card[data-number="${number}"] button.preset[value="15"]`).click();
  await counter.waitForSelector(`.order-card[data-number="${number}"][data-status=accepted]`);
  const marker = await guest.evaluate(() => { window.__noReload = true; return true; });
  assert.ok(marker);
  await guest.waitForSelector('#order-status[data-status=accepted]', { timeout: 3000 });
  assert.equal(await guest.evaluate(() => window.__noReload), true, 'the tracking page did not reload');
  assert.match(await guest.locator('#order-hint').textContent(), /Ready about \d\d:\d\d/);
  await shot(guest, 'phone-tracking-accepted');

  // The service worker's push handler shows a notification.
  const cdp = await counter.context().newCDPSession(counter);
  const registrations = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
  await counter.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await cdp.send('ServiceWorker.enable');
  const deadline = Date.now() + 5000;
  let registration;
  while (!registration && Date.now() < deadline) {
    registration = registrations.find((r) => r.scopeURL === `${BASE}/` && !r.isDeleted);
    if (!registration) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(registration, 'the dashboard registered /sw.js');
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: BASE,
    registrationId: registration.registrationId,
    data: JSON.stringify({ number: Number(number), shop: 'demo', items: [{ quantity: 1, name: 'Caffè Latte' }] }),
  });
  let notes = [];
  for (const end = Date.now() + 5000; notes.length === 0 && Date.now() < end;) {
    notes = await counter.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      const list = await reg.getNotifications();
      return list.map((n) => ({ title: n.title, body: n.body, url: n.data?.url }));
    });
    if (notes.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(notes.length, 1, 'the push handler showed one notification');
  assert.equal(notes[0].title, `New order #${number}`);
  assert.equal(notes[0].body, '1× Caffè Latte');
  assert.equal(notes[0].url, '/dashboard/demo');

  // Ready and complete move it along; the guest sees each step.
  await counter.locator(`.order-card[data-number="${number}"] form[action$="/ready"] button`).click();
  await guest.waitForSelector('#order-status[data-status=ready]', { timeout: 3000 });

  for (const d of [counter, kitchen, guest]) await d.context().close();
  assert.deepEqual(problems, []);
});

test('the same guest order works with JavaScript disabled', async () => {
  const guest = await newPage({ ...PHONE, javaScriptEnabled: false }, 'guest without JS');
  await guest.goto('/s/demo');
  const latte = guest.locator('li.item', { hasText: 'Caffè Latte' });
  await latte.locator('label.opt', { hasText: 'Large' }).click();
  await Promise.all([guest.waitForURL('**/s/demo?added=1**'), latte.locator('button[type=submit]').click()]);
  await guest.waitForSelector('#cart-summary[data-count="1"]');
  await guest.fill('#c-name', 'No Script');
  await guest.fill('#c-phone', '+821055556666');
  await guest.check('input[name=fulfillment][value=pickup]');
  await Promise.all([guest.waitForURL('**/o/**'), guest.click('#place-order')]);
  await guest.waitForSelector('#order-status[data-status=pending]');
  assert.match(await guest.locator('.lines').first().textContent(), /Caffè Latte/);
  await shot(guest, 'phone-tracking-nojs');
  // A missing name is answered on the page itself (with 422, which the browser logs).
  expectedErrors.push(/status of 422 .*\/s\/demo\/order/);
  await guest.goto('/s/demo');
  const croissant = guest.locator('li.item', { hasText: 'Croissant' });
  await Promise.all([guest.waitForURL('**added=1**'), croissant.locator('button[type=submit]').click()]);
  await Promise.all([guest.waitForLoadState(), guest.click('#place-order')]);
  await guest.waitForSelector('#c-name-err');
  expectedErrors.pop();
  await guest.context().close();
  assert.deepEqual(problems, []);
});

test('an unanswered order shows its age and next step; the red banner comes when the last dashboard with sound closes', async () => {
  // One dashboard with its sound on: it keeps its live link at ?sound=1 and counts as a listener.
  const loud = await dashboard('dashboard with sound');
  await loud.waitForSelector('body[data-live-sound=on]', { timeout: 3000 });
  // Another screen that never got sound (no audio at all), whose clock the test moves.
  const quiet = await newPage({ ...DESKTOP }, 'dashboard without sound');
  await quiet.addInitScript(() => { window.AudioContext = undefined; });
  await quiet.clock.install();
  await login(quiet);
  await quiet.waitForSelector('body[data-live=up]');
  assert.equal(await quiet.evaluate(() => document.body.dataset.liveSound), 'off');
  assert.equal(await quiet.locator('#sound-gate').isVisible(), true, 'it offers to turn the sound on');
  await quiet.waitForSelector('body[data-hearing=true]', { timeout: 3000 });
  assert.equal(await quiet.locator('#unheard-banner').isVisible(), false);
  assert.ok(Number(await quiet.locator('#ready-dashboards').textContent()) >= 1);

  // A guest orders; nobody acknowledges it.
  const guest = await newPage({ ...PHONE }, 'guest (unanswered)');
  await guest.goto('/s/demo');
  await guest.locator('li.item', { hasText: 'Croissant' }).locator('button[type=submit]').click();
  await guest.waitForSelector('#checkout:not([hidden])');
  await guest.fill('#c-name', 'Nobody Answers');
  await Promise.all([guest.waitForURL('**/o/**'), guest.click('#place-order')]);
  const number = (await guest.locator('h1 .number').textContent()).replace('#', '').trim();
  const card = quiet.locator(`.order-card[data-number="${number}"][data-status=pending]`);
  await card.waitFor({ timeout: 3000 });
  assert.match(await card.locator('.age').getAttribute('data-created'), /^\d{13}$/);
  assert.equal(await card.locator('.age-value').textContent(), 'just now');
  assert.match(await card.locator('.next-step').textContent(), /^Reminder at \d\d:\d\d$/);
  assert.match(await card.locator('.deadline').textContent(), /^Missed at \d\d:\d\d$/);
  // The age counts on by itself (every 15 s, from the server's clock).
  await quiet.clock.fastForward('02:05');
  await quiet.waitForFunction((n) => document.querySelector(`.order-card[data-number="${n}"] .age-value`)?.textContent === '2 min', number, { timeout: 3000 });

  // The last dashboard with sound closes: the server says nobody would hear a new order…
  await loud.context().close();
  let r;
  for (const end = Date.now() + 5000; Date.now() < end;) {
    r = await (await quiet.context().request.get('/api/v1/shops/demo/readiness')).json();
    if (!r.hearing) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(r.hearing, false, JSON.stringify(r));
  assert.ok(r.problems.some((p) => p.code === 'no_dashboard_with_sound'), JSON.stringify(r));
  // …and the open dashboard shows the red banner at its next look (every 30 s).
  await quiet.clock.fastForward('00:31');
  const banner = quiet.locator('#unheard-banner[role=alert]');
  await banner.waitFor({ state: 'visible', timeout: 3000 });
  assert.match(await banner.textContent(), /Nobody would hear a new order right now/);
  assert.equal(await quiet.locator('#ready-hearing').textContent(), 'Nobody would hear a new order');
  assert.match(await quiet.locator('#ready-problems').textContent(), /No dashboard with its sound on is open\./);
  await shot(quiet, 'desktop-dashboard-unheard');

  // Pause and resume without leaving the page.
  await quiet.locator('#pause-buttons button', { hasText: 'Pause 15 min' }).click();
  await quiet.waitForSelector('#resume-form:not([hidden])', { timeout: 3000 });
  assert.match(await quiet.locator('#ready-state').textContent(), /^Paused until \d\d:\d\d$/);
  assert.equal(await banner.isVisible(), false, 'no banner while closed');
  await guest.goto('/s/demo');
  assert.match(await guest.locator('#closed').textContent(), /paused online orders until \d\d:\d\d/);
  await quiet.locator('#resume-form button').click();
  await quiet.waitForSelector('#pause-buttons:not([hidden])', { timeout: 3000 });
  assert.equal(await quiet.locator('#ready-state').textContent(), 'Open for orders');

  for (const p of [quiet, guest]) await p.context().close();
  assert.deepEqual(problems, []);
});

test('an owner gives an item a photo in the menu editor; guests see it', async () => {
  const owner = await dashboard('owner with a photo');
  await owner.goto('/dashboard/demo/menu');
  const row = owner.locator('li.edit-item', { hasText: 'Caffè Latte' });
  // The photo as a phone would make it: drawn and encoded by the browser itself.
  const png = await owner.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 1600;
    canvas.height = 1200;
    const g = canvas.getContext('2d');
    const fill = g.createLinearGradient(0, 0, 1600, 1200);
    fill.addColorStop(0, '#d9b38c');
    fill.addColorStop(1, '#6b4226');
    g.fillStyle = fill;
    g.fillRect(0, 0, 1600, 1200);
    g.fillStyle = '#fffaf0';
    g.beginPath();
    g.arc(800, 600, 380, 0, Math.PI * 2);
    g.fill();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  await row.locator('details > summary').first().click();
  await row.locator('input[type=file][name=photo]').setInputFiles({ name: 'latte.png', mimeType: 'image/png', buffer: Buffer.from(png) });
  await Promise.all([owner.waitForURL('**/dashboard/demo/menu#i-*'), row.locator('.photo-form button[type=submit]').click()]);
  await owner.locator('li.edit-item', { hasText: 'Caffè Latte' }).locator('img.thumb').waitFor();

  // The guest page shows it, decoded by the browser: the server kept it at 1024 × 768.
  const guest = await newPage({ ...PHONE }, 'guest sees a photo');
  await guest.goto('/s/demo');
  const photo = guest.locator('li.item', { hasText: 'Caffè Latte' }).locator('img.item-photo');
  await photo.scrollIntoViewIfNeeded();
  await guest.waitForFunction((img) => img.complete && img.naturalWidth > 0, await photo.elementHandle());
  assert.deepEqual(await photo.evaluate((img) => [img.naturalWidth, img.naturalHeight]), [1024, 768]);
  const src = await photo.getAttribute('src');
  const res = await guest.context().request.get(src);
  assert.equal(res.headers()['cache-control'], 'public, max-age=31536000, immutable');
  for (const p of [owner, guest]) await p.context().close();
  assert.deepEqual(problems, []);
});

test('screenshots of every page at phone and desktop sizes, each checked with axe-core', async () => {
  // The checker itself finds what it must: an image without a text and an unlabelled field.
  const probe = await newPage({ ...DESKTOP, bypassCSP: true }, 'axe probe');
  await probe.setContent('<html lang="en"><head><title>t</title></head><body><main><img src="data:,"><input></main></body></html>');
  await axe(probe, 'probe');
  await probe.context().close();
  const caught = accessibility.splice(0);
  assert.ok(caught.some((p) => p.includes('image-alt')), `axe missed a missing alt: ${caught}`);
  assert.ok(caught.some((p) => p.includes('label')), `axe missed an unlabelled field: ${caught}`);
  for (const [size, options] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const page = await newPage({ ...options, bypassCSP: true }, `screens ${size}`);
    await page.goto('/');
    await shot(page, `${size}-landing`);
    await axe(page, `${size}-landing`);
    await page.goto('/s/demo');
    await shot(page, `${size}-shop`);
    await axe(page, `${size}-shop`);
    await page.goto('/login');
    await shot(page, `${size}-login`);
    await axe(page, `${size}-login`);
    await page.goto('/signup');
    await shot(page, `${size}-signup`);
    await axe(page, `${size}-signup`);
    await login(page);
    await page.waitForSelector('body[data-live=up]');
    await shot(page, `${size}-dashboard`);
    await axe(page, `${size}-dashboard`);
    const card = page.locator('.order-card').first();
    if (await card.count()) {
      await card.locator('details.card-more > summary').click();
      await card.locator('a.details').click();
      await page.waitForSelector('.history');
      await shot(page, `${size}-order-detail`);
      await axe(page, `${size}-order-detail`);
    }
    for (const tab of ['menu', 'settings', 'members', 'apikeys', 'printers', 'channels', 'qr?tables=2']) {
      await page.goto(`/dashboard/demo/${tab}`);
      const name = `${size}-${tab.split('?')[0]}`;
      await shot(page, name);
      await axe(page, name);
    }
    await page.goto('/account');
    await shot(page, `${size}-account`);
    await axe(page, `${size}-account`);
    await page.goto('/offline');
    await shot(page, `${size}-offline`);
    await axe(page, `${size}-offline`);
    // The guest's checkout with its errors shown, then the tracking page of the order.
    await page.goto('/s/demo');
    await page.locator('li.item', { hasText: 'Croissant' }).locator('button[type=submit]').click();
    await page.waitForSelector('#checkout:not([hidden])');
    expectedErrors.push(/status of 422 .*\/s\/demo\/order/);
    await Promise.all([page.waitForLoadState(), page.click('#place-order')]);
    await page.waitForSelector('#c-name-err');
    expectedErrors.pop();
    await axe(page, `${size}-checkout-errors`);
    await page.fill('#c-name', 'Axe Check');
    await Promise.all([page.waitForURL('**/o/**'), page.click('#place-order')]);
    await page.waitForSelector('#order-status');
    await shot(page, `${size}-tracking`);
    await axe(page, `${size}-tracking`);
    await page.goto('/lang?to=ko&next=/s/demo');
    await page.waitForSelector('html[lang=ko]');
    await shot(page, `${size}-shop-ko`);
    await axe(page, `${size}-shop-ko`);
    await page.goto('/dashboard/demo');
    await page.waitForSelector('body[data-live=up]');
    await shot(page, `${size}-dashboard-ko`);
    await axe(page, `${size}-dashboard-ko`);
    await page.context().close();
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(accessibility, [], 'serious or critical accessibility problems');
});

test('a rush on a portrait tablet: the newest order in view, typed text kept, a conflict said', async () => {
  const TABLET = { viewport: { width: 768, height: 1024 }, hasTouch: true };
  const tablet = await newPage({ ...TABLET }, 'tablet');
  await login(tablet);
  await tablet.waitForSelector('body[data-live=up]');
  const order = async (i) => {
    const res = await tablet.context().request.post('/api/v1/shops/demo/orders', {
      headers: { origin: BASE },
      data: { items: [{ name: `Rush ${i}`, quantity: 1, unit_price: 3000 }], customer: { name: `Rush ${i}` }, fulfillment: { type: 'pickup' } },
    });
    assert.equal(res.status(), 201, await res.text());
    return String((await res.json()).number);
  };

  // Someone opens the time picker of an order and starts typing while the rush comes in.
  const first = await order(0);
  const firstCard = tablet.locator(`.order-card[data-number="${first}"]`);
  await firstCard.waitFor();
  await firstCard.locator('details.eta-more summary').click();
  await firstCard.locator('input[name=eta_custom]').fill('37');
  const numbers = [];
  for (let i = 1; i <= 8; i += 1) numbers.push(await order(i));
  const newest = numbers.at(-1);
  await tablet.waitForSelector(`.order-card[data-number="${newest}"]`, { timeout: 3000 });
  await tablet.waitForFunction((n) => document.querySelectorAll('.col-new .order-card').length >= n, 9);
  assert.equal(await firstCard.locator('input[name=eta_custom]').inputValue(), '37', 'the typed time stays');
  assert.equal(await firstCard.locator('details.eta-more').evaluate((d) => d.open), true, 'the picker stays open');
  assert.equal(await firstCard.locator('input[name=eta_custom]').evaluate((i) => i === document.activeElement), true, 'the focus stays');

  // Without scrolling, the newest order is whole on the screen, and the lanes sit side by side.
  await tablet.evaluate(() => window.scrollTo(0, 0));
  const box = await tablet.locator(`.order-card[data-number="${newest}"]`).boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 1024, `newest card at ${JSON.stringify(box)}`);
  const lanes = await tablet.locator('.columns > .col').evaluateAll((cols) => cols.map((c) => c.getBoundingClientRect().top));
  assert.equal(new Set(lanes.map(Math.round)).size, 1, `lanes side by side: ${lanes}`);
  // Cards are compact: who ordered and the total show, the rest opens on a tap.
  const newestCard = tablet.locator(`.order-card[data-number="${newest}"]`);
  assert.match(await newestCard.locator('details.card-more > summary').textContent(), /Rush 8.*₩3,000/s);
  assert.equal(await newestCard.locator('details.more summary', { hasText: 'Reject' }).isVisible(), false);
  await newestCard.locator('details.card-more > summary').tap();
  assert.equal(await newestCard.locator('details.more summary', { hasText: 'Reject' }).isVisible(), true);
  await newestCard.locator('details.card-more > summary').tap();
  await shot(tablet, 'tablet-board-rush');
  await tablet.screenshot({ path: join(SHOTS, 'tablet-board-rush-view.png') });

  // Two screens accept the same order at once: one wins, the other says who answered it.
  const other = await dashboard('second screen');
  const target = `.order-card[data-number="${numbers[0]}"] button.accept-now`;
  await other.waitForSelector(target);
  await Promise.all([tablet, other].map((p) => p.evaluate((sel) => document.querySelector(sel).click(), target)));
  await Promise.all([tablet, other].map((p) => p.waitForSelector(`.order-card[data-number="${numbers[0]}"][data-status=accepted]`, { timeout: 3000 })));
  // The loser's notice comes with the answer to its own request, which may land after the
  // live update: wait for it.
  let notices = [0, 0];
  for (let i = 0; i < 30 && notices[0] + notices[1] === 0; i += 1) {
    notices = await Promise.all([tablet, other].map((p) => p.locator('#stale-notice').count()));
    if (notices[0] + notices[1] === 0) await tablet.waitForTimeout(100);
  }
  assert.deepEqual([...notices].sort(), [0, 1], 'exactly one screen lost the race');
  const loser = notices[0] === 1 ? tablet : other;
  assert.match(await loser.locator('#stale-notice').textContent(), new RegExp(`#${numbers[0]} was already answered: Accepted by .+ at \\d\\d:\\d\\d`));
  await tablet.context().close();
  await other.context().close();
  assert.deepEqual(problems, []);
});

test('a new owner, in Korean, from sign-up to a test order by following the pages', async () => {
  const owner = await newPage({ ...DESKTOP, locale: 'ko-KR' }, 'new owner (ko)');
  const email = `owner-${Date.now()}@new.example`;
  await owner.goto('/signup');
  await owner.waitForSelector('html[lang=ko]');
  await owner.fill('#s-name', '김사장');
  await owner.fill('#s-email', email);
  await owner.fill('#s-password', 'a long enough password');
  await Promise.all([owner.waitForURL('**/dashboard'), owner.click('form button[type=submit]')]);

  // The shop: a Korean name, no address name (one is made), a Seoul number as written locally.
  await owner.fill('#n-name', '김밥천국');
  await owner.fill('#n-phone', '02-123-4567');
  await Promise.all([owner.waitForURL(/\/dashboard\/gimbapcheonguk$/), owner.click('form[action="/dashboard"] button[type=submit]')]);
  const board = owner.url();
  const slug = board.split('/').pop();
  await owner.waitForSelector('#checklist');
  assert.equal(await owner.locator('#checklist li.todo').count(), 4);
  await shot(owner, 'desktop-first-run-checklist-ko');

  // 1. The menu: a category, then an item priced as people write it.
  await Promise.all([owner.waitForURL('**/menu'), owner.click('#checklist a[href$="/menu"]')]);
  await owner.fill('#nc-name', '김밥');
  await Promise.all([owner.waitForLoadState(), owner.locator('#nc-name').press('Enter')]);
  await owner.waitForSelector('#ni-cat option', { state: 'attached' });
  await owner.fill('#ni-name', '참치김밥');
  await owner.fill('#ni-price', '4,500원');
  await Promise.all([owner.waitForLoadState(), owner.locator('#ni-price').press('Enter')]);
  await owner.waitForSelector('text=참치김밥');

  // 2. A printer, so new orders are heard.
  await owner.goto(board);
  await Promise.all([owner.waitForURL('**/printers'), owner.click('#checklist a[href$="/printers"]')]);
  await owner.fill('#p-name', '카운터');
  await Promise.all([owner.waitForLoadState(), owner.locator('#p-name').press('Enter')]);
  await owner.waitForSelector('#new-token');

  // 3. A test order on the guest page.
  await owner.goto(board);
  const guestLink = owner.locator('#checklist a[href="/s/' + slug + '"]');
  assert.equal(await guestLink.count(), 1);
  const guest = await newPage({ ...PHONE, locale: 'ko-KR' }, 'test order (ko)');
  await guest.goto(`/s/${slug}`);
  assert.equal(await guest.locator('#menu-empty').count(), 0, 'the menu is ready');
  await guest.locator('li.item', { hasText: '참치김밥' }).locator('button[type=submit]').click();
  await guest.waitForSelector('#checkout:not([hidden])');
  await guest.fill('#c-name', '시험 주문');
  await Promise.all([guest.waitForURL('**/o/**'), guest.click('#place-order')]);
  await guest.context().close();

  // The order is on the board and the checklist is gone (opening hours are optional).
  await owner.goto(board);
  await owner.waitForSelector('.order-card[data-status=pending]');
  assert.equal(await owner.locator('#checklist').count(), 0);
  assert.equal(await owner.locator('html').getAttribute('lang'), 'ko');
  await owner.context().close();
  assert.deepEqual(problems, []);
});
