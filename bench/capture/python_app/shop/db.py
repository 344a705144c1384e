"""In-memory stand-in for the database layer."""


class RecordNotFound(Exception):
    pass


USERS = {
    1: {"id": 1, "email": "ada@example.com", "name": "Ada", "country": "DE", "avatar": "ada.png"},
    2: {"id": 2, "email": "bob@example.com", "name": "Bob", "country": "FR", "avatar": None},
    7: {"id": 7, "email": "eve@example.com", "name": "Eve", "country": "NL"},
}

PRODUCTS = {
    "SKU-1001": {"name": "Espresso beans 1kg", "price_cents": 1899, "stock": 12},
    "SKU-1002": {"name": "Milk frother", "price_cents": 4900, "stock": 0},
    "SKU-1003": {"name": "Grinder", "price_cents": 12900, "stock": 3},
    "SKU-1004": {"name": "Descaler", "price_cents": "799", "stock": 40},
}

ORDERS = []


def fetch_user(user_id):
    row = USERS.get(user_id)
    if row is None:
        raise RecordNotFound("user %d does not exist" % user_id)
    return row


def fetch_product(sku):
    return PRODUCTS[sku]


def insert_order(order):
    ORDERS.append(order)
    return len(ORDERS)
