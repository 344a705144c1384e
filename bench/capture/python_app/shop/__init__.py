"""A small shop backend used only to produce realistic Sentry events."""
