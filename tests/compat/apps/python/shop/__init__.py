"""A tiny shop: the application code whose errors the compatibility tests report."""
