"""The Python client the compatibility tests run in a subprocess: `python compat_app.py SCENARIO`.

The real sentry-sdk is initialised with default options; only dsn, release and environment are
set (from COMPAT_DSN, COMPAT_RELEASE, COMPAT_ENVIRONMENT). Scenario inputs come from COMPAT_*
environment variables, never from argv (the SDK sends sys.argv with every event). The last
stdout line `COMPAT-RESULT {json}` tells the test what was sent (event ids, SDK facts).
"""

import atexit
import json
import logging
import os
import socket
import sys
from io import BytesIO
from wsgiref.util import setup_testing_defaults

import sentry_sdk
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware

from shop import payments, web

log = logging.getLogger("shop.checkout")


def init():
    sentry_sdk.init(
        dsn=os.environ["COMPAT_DSN"],
        release=os.environ["COMPAT_RELEASE"],
        environment=os.environ["COMPAT_ENVIRONMENT"],
    )


def report(**facts):
    facts.setdefault("sdk_version", sentry_sdk.VERSION)
    facts.setdefault("server_name", socket.gethostname())
    try:
        import brotli  # noqa: F401  (the SDK compresses with brotli when this import works)

        facts.setdefault("brotli", True)
    except ImportError:
        facts.setdefault("brotli", False)
    transport = sentry_sdk.get_client().transport
    facts.setdefault("compression", getattr(transport, "_compression_algo", None))
    print("COMPAT-RESULT " + json.dumps(facts), flush=True)


def caught():
    """An exception raised several frames deep, captured in try/except."""
    order_id = int(os.environ.get("COMPAT_ORDER_ID", "4711"))
    try:
        payments.process_order(order_id)
    except payments.CardDeclined:
        event_id = sentry_sdk.capture_exception()
    return [event_id]


def key_and_type_errors():
    """A KeyError and a TypeError raised from the same line."""
    ids = []
    catalog = {"apple": 3, "pear": None}
    for sku in ("banana", "pear"):
        try:
            payments.unit_price(catalog, sku, 2)
        except (KeyError, TypeError):
            ids.append(sentry_sdk.capture_exception())
    return ids


def breadcrumbs():
    """Log lines and a manual breadcrumb before the error; tags and a user on the scope."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    log.info("cart loaded with %d items", 3)
    log.info("coupon %s applied", "SPRING25")
    sentry_sdk.add_breadcrumb(category="payment", message="authorizing card", level="info", data={"provider": "acme-pay"})
    sentry_sdk.set_tag("checkout.step", "payment")
    sentry_sdk.set_tag("tenant", "acme-eu")
    sentry_sdk.set_user({"id": "42", "email": "ada@example.com"})
    return caught()


def uncaught():
    """Crashes the interpreter; the SDK's excepthook integration reports it."""
    atexit.register(sentry_sdk.flush)  # runs before the SDK's own atexit close
    report(event_ids=[])
    payments.process_order(int(os.environ.get("COMPAT_ORDER_ID", "4711")))


def logged():
    """An error logged through the standard logging module (no exception)."""
    logging.getLogger("shop.gateway").error("payment gateway %s unreachable after %d retries", "eu-1", 3)
    return []


def message():
    return [sentry_sdk.capture_message("inventory sync finished with warnings", level="warning")]


def wsgi():
    """Requests through the SDK's WSGI middleware, in process: some succeed, one fails with an
    Authorization header and a password in the query string. Each request is a session."""
    app = SentryWsgiMiddleware(web.application)
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def environ(path, query="", headers=None):
        env = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "GET", "wsgi.input": BytesIO(b"")}
        setup_testing_defaults(env)
        env.update(headers or {})
        return env

    for _ in range(int(os.environ.get("COMPAT_OK_REQUESTS", "3"))):
        b"".join(app(environ("/health"), start_response))
    failed = 0
    try:
        app(
            environ(
                "/checkout",
                os.environ["COMPAT_QUERY"],
                {
                    "HTTP_AUTHORIZATION": os.environ["COMPAT_AUTHORIZATION"],
                    "HTTP_USER_AGENT": "compat-suite/1.0",
                    "HTTP_X_REQUEST_ID": "req-5150",
                },
            ),
            start_response,
        )
    except web.CheckoutFailed:
        failed += 1
    return {"statuses": statuses, "failed": failed}


SCENARIOS = {
    "caught": caught,
    "key_and_type_errors": key_and_type_errors,
    "breadcrumbs": breadcrumbs,
    "uncaught": uncaught,
    "logged": logged,
    "message": message,
    "wsgi": wsgi,
}


def main():
    scenario = sys.argv[1]
    init()
    out = SCENARIOS[scenario]()
    sentry_sdk.flush()
    if isinstance(out, dict):
        report(**out)
    else:
        report(event_ids=out)


if __name__ == "__main__":
    main()
