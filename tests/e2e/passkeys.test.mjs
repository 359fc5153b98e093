// Passkeys in a real browser: Chromium's virtual authenticator (the DevTools protocol's
// WebAuthn domain, through playwright-core's CDP session) stands in for a phone's platform
// authenticator. A passkey is registered on the account page, the browser signs out, and the
// passkey alone signs in again from /login.
//
// WebAuthn needs a secure context and a host name for its RP ID (not an IP address), so the
// server must run with a public URL of http://localhost:PORT (crates/orderbell-server/tests/it/
// e2e_browser.rs starts one so and sets ORDERBELL_URL, ORDERBELL_DEMO_EMAIL and
// ORDERBELL_DEMO_PASSWORD).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = process.env.ORDERBELL_URL || 'http://localhost:8080';
const EMAIL = process.env.ORDERBELL_DEMO_EMAIL || 'owner@demo.orderbell.example';
const PASSWORD = process.env.ORDERBELL_DEMO_PASSWORD;
const SHOTS = process.env.ORDERBELL_SCREENSHOTS || join(here, '..', '..', 'target', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

let browser;

before(async () => {
  assert.ok(PASSWORD, 'ORDERBELL_DEMO_PASSWORD is required');
  assert.equal(new URL(BASE).hostname, 'localhost', 'passkeys need a host name: run the server as http://localhost:PORT');
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

test('a passkey added on the account page signs in alone from /login', async () => {
  const context = await browser.newContext({ baseURL: BASE, locale: 'en-US' });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    const ours = msg.type() === 'warning' && /passkey/.test(msg.text());
    if (msg.type() === 'error' || ours || /Content Security Policy|Refused to/.test(msg.text())) {
      problems.push(`console ${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  // Signed in with the password, add a passkey on the account page.
  await page.goto('/login?next=/account');
  await page.fill('#l-email', EMAIL);
  await page.fill('#l-password', PASSWORD);
  await Promise.all([page.waitForURL((url) => url.pathname === '/account'), page.click('form[action="/login"] button[type=submit]')]);
  await page.waitForSelector('#passkey-add:not([hidden])');
  assert.equal(await page.locator('#passkey-unsupported').isVisible(), false);
  await page.fill('#a-passkey-name', 'Virtual phone');
  await Promise.all([
    page.waitForURL('**/account?passkey=1#passkeys'),
    page.click('#passkey-add button[type=submit]'),
  ]);
  await page.waitForSelector('#passkey-added');
  assert.deepEqual(await page.locator('#passkey-list .passkey-name').allTextContents(), ['Virtual phone']);
  const stored = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(stored.credentials.length, 1);
  assert.equal(stored.credentials[0].isResidentCredential, true, 'a discoverable credential');
  assert.equal(stored.credentials[0].rpId, 'localhost');
  await page.screenshot({ path: join(SHOTS, 'passkeys-account.png'), fullPage: true });

  // Signed out, the passkey alone signs in (no e-mail, no password).
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/account')),
    page.click('form[action="/logout"] button[type=submit]'),
  ]);
  assert.equal((await page.request.get('/api/v1/me')).status(), 401);
  await page.goto('/login?next=/account');
  await page.waitForSelector('#passkey-sign-in:visible');
  await page.screenshot({ path: join(SHOTS, 'passkeys-login.png'), fullPage: true });
  await Promise.all([page.waitForURL((url) => url.pathname === '/account'), page.click('#passkey-sign-in')]);
  const me = await (await page.request.get('/api/v1/me')).json();
  assert.equal(me.user.email, EMAIL);
  const sessions = await (await page.request.get('/api/v1/me/sessions')).json();
  assert.equal(sessions.find((s) => s.current).auth_method, 'passkey');
  const used = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.ok(used.credentials[0].signCount >= 1, 'the authenticator counted the sign-in');
  assert.match(await page.locator('#passkey-list small').first().textContent(), /UTC/);

  assert.deepEqual(problems, []);
  await context.close();
});
