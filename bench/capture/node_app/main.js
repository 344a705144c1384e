// Runs a small inventory API, sends it requests that fail in different ways, then triggers an
// unhandled rejection, a captured message and finally an uncaught exception.
require('./instrument');
const Sentry = require('@sentry/node');
const { createServer } = require('./lib/server');

async function call(base, method, path, body, userId) {
  const res = await fetch(base + path, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-user-id': String(userId || 1) },
  });
  return res.status;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening on ${base.replace('http://', '')}`);

  Sentry.setUser({ id: '42', username: 'ops-bot' });
  Sentry.setTag('region', 'eu-central-1');

  console.log('warming caches');
  await call(base, 'GET', '/products/describe?sku=SKU-1001');
  await call(base, 'GET', '/products/describe?sku=SKU-1002');
  await call(base, 'GET', '/products/prices?sku=SKU-1003&digits=120');
  await call(base, 'POST', '/orders', "{lines: [{sku: 'SKU-1001'}]}");
  await call(base, 'POST', '/orders', { ref: 'ORD-1', lines: [{ sku: 'SKU-1001', qty: 'two' }] });
  await call(base, 'POST', '/orders', { ref: 'ORD-2', lines: [{ sku: 'SKU-1002', qty: '1' }, { sku: 'SKU-9', qty: '1' }] });
  await call(base, 'POST', '/orders/notify', { ref: 'ORD-3', lines: [{ sku: 'SKU-1003', qty: '1' }] });

  Sentry.addBreadcrumb({ category: 'cron', message: 'starting nightly export', level: 'info' });
  console.warn('export queue is 3x longer than usual');
  Sentry.captureMessage('Export queue backlog above 10000 items', 'warning');

  // Unhandled rejection: captured by the onUnhandledRejection integration (mode "warn").
  Promise.reject(new Error('lost connection to redis at 10.0.4.12:6379'));
  await sleep(200);

  await Sentry.flush(5000);
  // Give the request-session aggregator time to flush.
  await sleep(Number(process.env.SESSION_WAIT_MS || 2000));
  await Sentry.flush(5000);
  server.close();

  // Uncaught exception: the SDK reports it, flushes and exits the process.
  setTimeout(() => {
    const config = JSON.parse(process.env.APP_CONFIG || '{}');
    config.database.pool.max += 1;
  }, 10);
}

main();
