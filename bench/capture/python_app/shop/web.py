"""A minimal WSGI application: routing, JSON in and out."""

import json
import logging
import re

from shop import orders, reports, users

log = logging.getLogger("shop.web")

ROUTES = []


def route(method, pattern):
    def register(fn):
        ROUTES.append((method, re.compile("^" + pattern + "$"), fn))
        return fn

    return register


@route("POST", "/api/orders")
def post_order(request):
    body = json.loads(request["body"])
    return orders.create_order(request["user_id"], body)


@route("POST", "/api/checkout")
def post_checkout(request):
    body = json.loads(request["body"])
    return orders.checkout(request["user_id"], body)


@route("POST", "/api/login")
def post_login(request):
    return users.login(request["body"])


@route("GET", r"/api/users/(\d+)")
def get_user(request, user_id):
    return users.profile(int(user_id))


@route("GET", r"/api/users/(\d+)/avatar")
def get_avatar(request, user_id):
    return {"url": users.avatar_url(int(user_id))}


@route("GET", "/api/reports/sales")
def get_sales(request):
    return reports.sales_by_product()


@route("GET", "/api/reports/customers")
def get_customers(request):
    limit = int(request["query"].get("limit", "10"))
    return reports.top_customers(limit)


@route("GET", "/api/reports/export")
def get_export(request):
    rows = [{"sku": "SKU-1001", "sold": 28}, {"sku": "SKU-1003", "sold": 37}]
    return reports.export_csv(rows, request["query"].get("columns", "sku,sold,revenue").split(","))


def dispatch(request):
    for method, pattern, fn in ROUTES:
        m = pattern.match(request["path"])
        if m and method == request["method"]:
            log.info("%s %s -> %s", request["method"], request["path"], fn.__name__)
            return fn(request, *m.groups())
    return {"error": "not found"}


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
    request = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": query,
        "user_id": int(environ.get("HTTP_X_USER_ID", "0")),
        "body": environ["wsgi.input"].read(length).decode() if length else "",
    }
    result = dispatch(request)
    payload = json.dumps(result, default=str).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
