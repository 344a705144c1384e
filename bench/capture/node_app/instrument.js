// Loaded first, as the @sentry/node docs ask: the DSN comes from SENTRY_DSN.
const Sentry = require('@sentry/node');

Sentry.init({
  release: 'inventory-api@2.3.0',
  environment: 'production',
});
