// Sign in with OpenID Connect in Chromium: Orderbell's /login button, oidc-provider's
// development login and consent pages, and Orderbell's account page at the end.
//
//   node browser.mjs ORDERBELL_BASE_URL
//
// playwright-core comes from tests/e2e (installed there with `npm ci --prefix tests/e2e`).
// Prints `SIGNED IN <email>` on success.
import { chromium } from '../../e2e/node_modules/playwright-core/index.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node browser.mjs ORDERBELL_BASE_URL');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${base}/login?next=/account`);
  await page.getByRole('link', { name: 'Sign in with Test OP' }).click();
  // The provider's login page (any login, any password).
  await page.locator('input[name=login]').fill('bob');
  await page.locator('input[name=password]').fill('anything at all');
  await page.locator('button[type=submit]').click();
  // Its consent page.
  await page.locator('button[type=submit]').click();
  await page.waitForURL(`${base}/account`);
  const text = await page.locator('main').innerText();
  if (!text.includes('bob@example.com')) {
    throw new Error(`the account page does not show the address: ${text}`);
  }
  if (!text.includes('Test OP')) {
    throw new Error(`the account page does not list the identity: ${text}`);
  }
  console.log('SIGNED IN bob@example.com');
} finally {
  await browser.close();
}
