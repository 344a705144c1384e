// The Node client the compatibility tests run in a subprocess: `node app.js SCENARIO`.
//
// The real @sentry/node is initialised with only dsn, release and environment (from COMPAT_DSN,
// COMPAT_RELEASE, COMPAT_ENVIRONMENT). The stdout line `COMPAT-RESULT {json}` tells the test what
// was sent.
"use strict";

const os = require("os");
const Sentry = require("@sentry/node");
const shop = require("./shop");

Sentry.init({
  dsn: process.env.COMPAT_DSN,
  release: process.env.COMPAT_RELEASE,
  environment: process.env.COMPAT_ENVIRONMENT,
});

function report(facts) {
  const out = { sdk_version: Sentry.SDK_VERSION, server_name: os.hostname(), ...facts };
  console.log("COMPAT-RESULT " + JSON.stringify(out));
}

const scenarios = {
  // captureException of an Error thrown three calls deep, with breadcrumbs, tags and a user.
  caught() {
    console.log("loading cart for order", process.env.COMPAT_ORDER_ID);
    Sentry.addBreadcrumb({ category: "payment", message: "authorizing card", level: "info", data: { provider: "acme-pay" } });
    Sentry.setTag("checkout.step", "payment");
    Sentry.setTag("tenant", "acme-eu");
    Sentry.setUser({ id: "42", email: "ada@example.com" });
    try {
      shop.processOrder(Number(process.env.COMPAT_ORDER_ID || "7"));
    } catch (err) {
      return [Sentry.captureException(err)];
    }
    throw new Error("processOrder did not throw");
  },

  // Two errors from the same line with different numbers in the message.
  same_bug() {
    const ids = [];
    for (const orderId of [17, 4242]) {
      try {
        shop.loadOrder(orderId);
      } catch (err) {
        ids.push(Sentry.captureException(err));
      }
    }
    return ids;
  },

  // A TypeError and a RangeError from the same line.
  type_and_range() {
    const ids = [];
    for (const kind of ["type", "range"]) {
      try {
        shop.validateQuantity(kind, -1);
      } catch (err) {
        ids.push(Sentry.captureException(err));
      }
    }
    return ids;
  },

  // The process dies of an uncaught exception; the SDK's onUncaughtException handler reports
  // it, flushes and exits with code 1.
  uncaught() {
    report({ event_ids: [] });
    setTimeout(() => shop.processOrder(Number(process.env.COMPAT_ORDER_ID || "13")), 10);
    return null;
  },
};

async function main() {
  const ids = scenarios[process.argv[2]]();
  if (ids === null) return; // the process ends by itself
  await Sentry.flush(5000);
  report({ event_ids: ids });
  // No close(): the process ends naturally, so the SDK's beforeExit hook ends the release-health
  // session and sends its final update.
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
