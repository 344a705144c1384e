// Built with esbuild into bundle.min.js (an IIFE exposing window.Sentry, like the CDN bundle).
import * as Sentry from '@sentry/browser';

window.Sentry = Sentry;
