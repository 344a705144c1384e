// Usage: node run.js PAGE_URL DSN CHROMIUM_PATH
// Opens the storefront in headless Chromium, clicks through the buggy buttons, waits for the SDK.
const { chromium } = require('playwright-core');

const [url, dsn, executablePath] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (msg) => process.stderr.write(`page: ${msg.text()}\n`));
  await page.addInitScript((d) => {
    window.SENTRY_DSN = d;
  }, dsn);
  await page.goto(url);
  await page.waitForLoadState('networkidle');
  await page.click('#add-to-cart');
  await page.fill('#coupon', 'spring-25');
  await page.click('#apply-coupon');
  await page.click('#load-cart');
  await page.click('#restore-draft');
  await sleep(300);
  await page.click('#share');
  await page.click('#checkout');
  await sleep(500);
  await page.evaluate(() => Sentry.flush(5000));
  await sleep(1000);
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
