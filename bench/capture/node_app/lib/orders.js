const catalog = require('./catalog');
const { ValidationError, UpstreamError } = require('./errors');

function validateLines(lines) {
  return lines.map((line, index) => {
    try {
      return { sku: line.sku, qty: catalog.parseQuantity(line.qty) };
    } catch (err) {
      throw new ValidationError(`line ${index} is invalid`, `lines[${index}]`, { cause: err });
    }
  });
}

function parseOrder(body) {
  const order = JSON.parse(body);
  order.lines = validateLines(order.lines);
  return order;
}

async function reserveStock(order) {
  const results = await Promise.any(
    order.lines.map(async (line) => {
      const product = catalog.findProduct(line.sku);
      if (!product || product.stock < line.qty) {
        throw new Error(`cannot reserve ${line.qty} x ${line.sku}`);
      }
      return line;
    }),
  );
  return results;
}

async function notifyWarehouse(order) {
  throw new UpstreamError('warehouse-api', 503, { cause: new Error('ECONNRESET while reading response') });
}

module.exports = { parseOrder, reserveStock, notifyWarehouse };
