// Application code whose errors the Node compatibility tests report.
"use strict";

function processOrder(orderId) {
  const amount = 129.99;
  return chargeCard(orderId, amount);
}

function chargeCard(orderId, amount) {
  const cents = Math.round(amount * 100);
  return authorize(orderId, cents);
}

function authorize(orderId, cents) {
  throw new Error(`card declined for order ${orderId} (${cents} cents)`);
}

// The same bug whatever the order: only the number in the message differs.
function loadOrder(orderId) {
  throw new Error(`order ${orderId} not found`);
}

// A TypeError or a RangeError, thrown by the same line.
function validateQuantity(kind, quantity) {
  throw new (kind === "type" ? TypeError : RangeError)(`invalid quantity ${quantity}`);
}

module.exports = { processOrder, chargeCard, authorize, loadOrder, validateQuantity };
