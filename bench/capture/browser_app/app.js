// A small storefront script with a few realistic bugs. The DSN is injected by the capture harness
// as window.SENTRY_DSN before the page loads.
Sentry.init({
  dsn: window.SENTRY_DSN,
  release: 'storefront@5.12.0',
  environment: 'production',
});

const state = { cart: [], products: [{ sku: 'SKU-1001', name: 'Espresso beans', price: 18.99 }] };

class CouponError extends Error {
  constructor(code, reason) {
    super(`coupon ${code} rejected: ${reason}`);
    this.name = 'CouponError';
  }
}

function findProduct(sku) {
  return state.products.find((p) => p.sku === sku);
}

function addToCart(sku) {
  const product = findProduct(sku);
  state.cart.push({ sku, name: product.name, price: product.price });
  renderCart();
}

function renderCart() {
  console.log('cart now has', state.cart.length, 'items');
}

function applyCoupon(code) {
  if (!/^[A-Z0-9]{6}$/.test(code)) {
    throw new CouponError(code, 'malformed');
  }
}

async function loadCart() {
  const res = await fetch('/api/cart?session=abc123');
  if (!res.ok) {
    throw new Error(`GET /api/cart failed with ${res.status}`);
  }
  return res.json();
}

function restoreDraft() {
  const raw = localStorage.getItem('draft') || '{"items": [1, 2,}';
  return JSON.parse(raw);
}

function checkout() {
  const total = state.cart.reduce((sum, item) => sum + item.price, 0);
  submitPayment(total);
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('add-to-cart').addEventListener('click', () => addToCart('SKU-2002'));
  document.getElementById('apply-coupon').addEventListener('click', () => {
    applyCoupon(document.getElementById('coupon').value);
  });
  document.getElementById('load-cart').addEventListener('click', () => {
    loadCart().then((cart) => (state.cart = cart.items));
  });
  document.getElementById('restore-draft').addEventListener('click', () => {
    setTimeout(() => restoreDraft(), 0);
  });
  document.getElementById('checkout').addEventListener('click', () => {
    history.pushState({}, '', '/checkout');
    checkout();
  });
  document.getElementById('share').addEventListener('click', () => {
    Sentry.captureMessage('Share button used without navigator.share support', 'info');
  });
});
