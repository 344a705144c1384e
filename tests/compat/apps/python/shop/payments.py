"""Payment code that fails several frames deep, with secrets in its local variables."""

import os


class CardDeclined(Exception):
    """The payment provider refused the card."""


def process_order(order_id):
    amount = 129.99
    currency = "EUR"
    return charge_card(order_id, amount, currency)


def charge_card(order_id, amount, currency):
    attempts = 1
    return authorize(order_id, amount * 100, currency, attempts)


def authorize(order_id, cents, currency, attempts):
    # The secrets come from the environment (never from this file: source context is sent too).
    password = os.environ["COMPAT_PASSWORD"]
    api_token = os.environ["COMPAT_API_TOKEN"]
    gateway = {"url": "https://pay.example/authorize", "headers": {"Authorization": "Bearer " + api_token}}
    provider = "acme-pay"
    raise CardDeclined(f"card declined for order {order_id}")


def unit_price(catalog, sku, quantity):
    # KeyError when the SKU is unknown, TypeError when its price is missing: the same line.
    return catalog[sku] * quantity
