const http = require('node:http');
const Sentry = require('@sentry/node');
const catalog = require('./catalog');
const orders = require('./orders');

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
  });
}

const routes = {
  'GET /products/describe': async (req, url) => catalog.describeProduct(url.searchParams.get('sku')),
  'GET /products/prices': async (req, url) =>
    catalog.priceTable(url.searchParams.get('sku'), Number(url.searchParams.get('digits'))),
  'POST /orders': async (req) => {
    const order = orders.parseOrder(await readBody(req));
    Sentry.addBreadcrumb({ category: 'orders', message: `parsed order with ${order.lines.length} lines`, level: 'info' });
    await orders.reserveStock(order);
    return { ok: true };
  },
  'POST /orders/notify': async (req) => {
    const order = orders.parseOrder(await readBody(req));
    console.log('notifying warehouse about order', order.ref);
    await orders.notifyWarehouse(order);
    return { ok: true };
  },
};

function createServer() {
  return http.createServer(async (req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const handler = routes[`${req.method} ${url.pathname}`];
    try {
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      const result = await handler(req, url);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    } catch (err) {
      Sentry.captureException(err);
      console.error(`${req.method} ${url.pathname} failed: ${err.message}`);
      res.writeHead(500).end();
    }
  });
}

module.exports = { createServer };
