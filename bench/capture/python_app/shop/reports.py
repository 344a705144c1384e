import csv
import io

from shop import db


def sales_by_product():
    result = {}
    for sku, product in db.PRODUCTS.items():
        sold = 40 - product["stock"]
        revenue = product["price_cents"] * sold
        result[sku] = revenue + 0
    return result


def export_csv(rows, columns):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return buf.getvalue()


def top_customers(limit):
    ranked = sorted(db.USERS.values(), key=lambda u: u["id"])
    return [ranked[i]["email"] for i in range(limit)]
