import logging

from shop import config

log = logging.getLogger("shop.payments")


class PaymentDeclined(Exception):
    pass


class GatewayAuthError(Exception):
    pass


class GatewayClient:
    def __init__(self, username, password, endpoint):
        self.username = username
        self.endpoint = endpoint
        self._password = password
        self.token = None

    def _connect(self):
        timeout = config.get("payment.timeout_ms")
        raise ConnectionRefusedError(111, "Connection refused: %s (timeout %d ms)" % (self.endpoint, timeout))

    def authenticate(self):
        username = self.username
        password = self._password
        attempt = 0
        try:
            attempt += 1
            self._connect()
        except ConnectionRefusedError as e:
            raise GatewayAuthError("could not authenticate %s after %d attempt(s)" % (username, attempt)) from e

    def charge(self, card, amount_cents, currency):
        if card["number"].endswith("0002"):
            raise PaymentDeclined("card declined: insufficient_funds (%d %s)" % (amount_cents, currency))
        return {"status": "captured", "amount": amount_cents}


def charge_order(order, card):
    client = GatewayClient("shop-prod", "s3cr3t-hunter2", "https://pay.acme.example/v2")
    if card.get("requires_auth"):
        client.authenticate()
    log.info("charging order %s: %d cents", order["ref"], order["totals"]["total"])
    return client.charge(card, order["totals"]["total"], order["totals"]["currency"])
