"""Feeds a Faultline server through the real Python sentry-sdk for the browser tests:
`python feed.py` with FEED_DSN set. Default SDK options (local variables, source context,
brotli), plus the WSGI integration for a request.

Sends: a caught CardDeclined (locals with a password, breadcrumbs, tags, a user, a request),
a KeyError, a logged error, a warning message, and the XSS set: an exception whose message,
tags, local variables, breadcrumbs and request URL carry script and `javascript:` payloads.
Prints `FEED-RESULT {json}` with what it sent.
"""

import json
import logging
import os
import sys
from io import BytesIO
from wsgiref.util import setup_testing_defaults

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "compat", "apps", "python"))

import sentry_sdk  # noqa: E402
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware  # noqa: E402

from shop import payments  # noqa: E402

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


class InjectedError(Exception):
    pass


def checkout_app(environ, start_response):
    """A WSGI app whose checkout fails deep in the payment code."""
    log = logging.getLogger("shop.checkout")
    log.info("cart loaded with %d items", 3)
    sentry_sdk.add_breadcrumb(category="payment", message="authorizing card", level="info")
    log.warning("slow payment provider: %d ms", 1800)
    order_id = 4711
    try:
        payments.process_order(order_id)
    except payments.CardDeclined:
        sentry_sdk.capture_exception()
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"declined"]


def xss_app(environ, start_response):
    sentry_sdk.add_breadcrumb(category="xss", message=XSS, level="error")
    sentry_sdk.set_tag("evil", XSS)
    payload = XSS
    link = "javascript:window.__xss=3"
    try:
        raise InjectedError(XSS)
    except InjectedError:
        sentry_sdk.capture_exception()
    start_response("500 Internal Server Error", [])
    return [b""]


def request(app, path, query="", host="shop.example", scheme="http"):
    env = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "POST",
           "wsgi.input": BytesIO(b""), "HTTP_HOST": host, "HTTP_USER_AGENT": "browser-suite/1.0"}
    setup_testing_defaults(env)
    env["HTTP_HOST"] = host
    env["wsgi.url_scheme"] = scheme
    return b"".join(SentryWsgiMiddleware(app)(env, lambda *a, **k: None))


def main():
    os.environ.setdefault("COMPAT_PASSWORD", "hunter2-browser")
    os.environ.setdefault("COMPAT_API_TOKEN", "tok-browser-secret")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    sentry_sdk.init(dsn=os.environ["FEED_DSN"], release="shop@2.4.1", environment="production",
                    server_name="web-1")
    sentry_sdk.set_user({"id": "42", "email": "ada@example.com"})
    sentry_sdk.set_tag("tenant", "acme-eu")
    with sentry_sdk.new_scope():
        request(checkout_app, "/checkout", "coupon=SPRING25")
    with sentry_sdk.new_scope():
        try:
            payments.unit_price({"apple": 3}, "banana", 2)
        except KeyError:
            sentry_sdk.capture_exception()
    with sentry_sdk.new_scope():
        logging.getLogger("shop.gateway").error("payment gateway %s unreachable after %d retries", "eu-1", 3)
    with sentry_sdk.new_scope():
        sentry_sdk.capture_message("inventory sync finished with warnings", level="warning")
    with sentry_sdk.new_scope():
        # The SDK builds the request URL from the WSGI scheme and host: a javascript: URL.
        request(xss_app, "/x", "q=" + XSS, host="window.__xss=4", scheme="javascript")
    with sentry_sdk.new_scope():
        sentry_sdk.capture_message(XSS, level="error")
    sentry_sdk.flush()
    print("FEED-RESULT " + json.dumps({"events": 6, "xss": XSS}), flush=True)


if __name__ == "__main__":
    main()
