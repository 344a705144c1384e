import logging
import uuid

from shop import db, inventory, payments, pricing

log = logging.getLogger("shop.orders")


def create_order(user_id, body):
    user = db.fetch_user(user_id)
    lines = inventory.reserve(body["lines"])
    totals = pricing.totals(lines, user["country"], body.get("discount"))
    order = {
        "ref": "ORD-" + uuid.uuid4().hex[:8].upper(),
        "user_id": user_id,
        "lines": lines,
        "totals": totals,
        "status": "pending",
    }
    order_id = db.insert_order(order)
    log.info("created order %s (%d lines)", order["ref"], len(lines))
    return order_id, order


def checkout(user_id, body):
    order_id, order = create_order(user_id, body)
    receipt = payments.charge_order(order, body["card"])
    order["status"] = "paid"
    return {"order_id": order_id, "receipt": receipt}
