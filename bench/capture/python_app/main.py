"""Drive the shop app through a series of requests and jobs that fail in different ways.

Reads the DSN from SENTRY_DSN. Every failure below becomes one Sentry event; the SDK runs with its
default options (local variables, source context, sessions, client reports, logging integration).
"""

import io
import json
import logging
import sys
from wsgiref.util import setup_testing_defaults

import sentry_sdk
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware

from shop import tasks, web


def drop_health_checks(event, hint):
    # App-level filter: health-check noise is dropped (the SDK reports it in a client report).
    if (event.get("request") or {}).get("url", "").endswith("/healthz"):
        return None
    return event


@web.route("GET", "/healthz")
def healthz(request):
    raise RuntimeError("database ping failed")


def request(app, method, path, body=None, user_id=1, query=""):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else (body or "").encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "shop.example.com",
        "SERVER_NAME": "shop.example.com",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
        "HTTP_ACCEPT": "application/json",
        "HTTP_X_REQUEST_ID": "req-%d-%s" % (user_id, path.strip("/").replace("/", "-")),
        "HTTP_X_USER_ID": str(user_id),
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "REMOTE_ADDR": "203.0.113.24",
        "wsgi.input": io.BytesIO(data),
    }
    setup_testing_defaults(environ)
    try:
        return b"".join(app(environ, lambda status, headers: None))
    except Exception as e:
        print("request %s %s failed: %s: %s" % (method, path, type(e).__name__, e), file=sys.stderr)
        return None


def main():
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sentry_sdk.init(
        release="shop@1.4.2",
        environment="production",
        before_send=drop_health_checks,
    )
    app = SentryWsgiMiddleware(web.application)
    line = {"sku": "SKU-1001", "qty": "2"}

    request(app, "POST", "/api/orders", {"lines": [{"sku": "SKU-1001", "qty": "two"}]})
    request(app, "POST", "/api/orders", {"lines": [line, {"sku": "SKU-9999", "qty": "1"}]})
    request(app, "POST", "/api/orders", {"lines": [{"sku": "SKU-1002", "qty": "1"}]}, user_id=2)
    request(app, "POST", "/api/orders", {"lines": [line], "discount": {"items": 0, "rate": 0.1}})
    request(app, "POST", "/api/orders", {"lines": [line, {"sku": "SKU-1004", "qty": "2"}]}, user_id=7)
    request(app, "POST", "/api/orders", {"lines": [line]}, user_id=3)
    request(app, "POST", "/api/orders", {"lines": [{"sku": "SKU-1003", "qty": "-1"}]})
    card = {"number": "4000000000000002", "exp": "12/29", "holder": "Ada"}
    request(app, "POST", "/api/checkout", {"lines": [line], "card": card})
    card = {"number": "4000002760003184", "exp": "01/28", "holder": "Bob", "requires_auth": True}
    request(app, "POST", "/api/checkout", {"lines": [line], "card": card}, user_id=2)
    request(app, "POST", "/api/login", "{'email': 'ada@example.com'}")
    request(app, "POST", "/api/login", {"email": "ada@example.com", "password": "correct horse"})
    request(app, "POST", "/api/login", {"email": "bob@example.com"})
    request(app, "GET", "/api/users/42")
    request(app, "GET", "/api/users/2/avatar")
    request(app, "GET", "/api/users/7/avatar")
    request(app, "GET", "/api/reports/sales")
    request(app, "GET", "/api/reports/customers", query="limit=10")
    request(app, "GET", "/api/reports/export")
    request(app, "GET", "/healthz")

    tasks.run(tasks.send_invoice_email, "ORD-7F3A91C2", "ada@example.com")
    tasks.run(tasks.nightly_cleanup)
    tasks.run_logged(tasks.sync_inventory, {"SKU-1001": 12, "SKU-1003": -3})
    tasks.run(tasks.import_batch, [{"qty": "1"}, {"qty": "x"}, {"qty": "0"}])
    tasks.run(tasks.rebuild_search_index, [{"title": "Grinder"}])
    logging.getLogger("shop.payments").error(
        "Payment provider %s timed out after %d ms", "acme-pay", 2500, extra={"order_ref": "ORD-1C0FFEE0"}
    )
    sentry_sdk.capture_message("Inventory drift above threshold for %d SKUs" % 3, level="warning")

    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main()
