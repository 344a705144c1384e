const { ValidationError } = require('./errors');

const products = new Map([
  ['SKU-1001', { name: 'Espresso beans 1kg', priceCents: 1899, stock: 12, tags: ['coffee'] }],
  ['SKU-1002', { name: 'Milk frother', priceCents: 4900, stock: 0 }],
  ['SKU-1003', { name: 'Grinder', priceCents: 12900, stock: 3, tags: ['hardware'] }],
]);

function findProduct(sku) {
  return products.get(sku);
}

function describeProduct(sku) {
  const product = findProduct(sku);
  const label = product.tags.join(', ');
  return `${product.name} (${label})`;
}

function parseQuantity(raw) {
  const qty = Number.parseInt(raw, 10);
  if (Number.isNaN(qty)) {
    throw new ValidationError(`quantity "${raw}" is not a number`, 'qty');
  }
  return qty;
}

function priceTable(sku, digits) {
  const product = findProduct(sku);
  return [1, 2, 5].map((n) => ((product.priceCents * n) / 100).toFixed(digits));
}

module.exports = { findProduct, describeProduct, parseQuantity, priceTable };
