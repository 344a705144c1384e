import logging

from shop import db

log = logging.getLogger("shop.inventory")


class OutOfStockError(Exception):
    def __init__(self, sku, wanted, available):
        super().__init__("%s: wanted %d, only %d left" % (sku, wanted, available))
        self.sku = sku


def parse_quantity(raw):
    quantity = int(raw)
    if quantity <= 0:
        raise ValueError("quantity must be positive, got %d" % quantity)
    return quantity


def reserve(lines):
    reserved = []
    for line in lines:
        sku = line["sku"]
        wanted = parse_quantity(line["qty"])
        product = db.fetch_product(sku)
        available = product["stock"]
        log.info("reserving %d x %s (available %d)", wanted, sku, available)
        if wanted > available:
            raise OutOfStockError(sku, wanted, available)
        reserved.append({"sku": sku, "qty": wanted, "unit_cents": product["price_cents"]})
    return reserved


def sync_from_warehouse(snapshot):
    drift = {}
    for sku, counted in snapshot.items():
        expected = db.PRODUCTS[sku]["stock"]
        assert counted >= 0, "negative count for %s: %r" % (sku, counted)
        drift[sku] = counted - expected
    return drift
