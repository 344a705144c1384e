"""A WSGI application with a failing checkout endpoint."""

from urllib.parse import parse_qs


class CheckoutFailed(Exception):
    """Checkout could not complete."""


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/checkout":
        return checkout(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def checkout(environ, start_response):
    params = parse_qs(environ.get("QUERY_STRING", ""))
    page = params.get("page", ["1"])[0]
    raise CheckoutFailed(f"checkout failed on page {page}")
