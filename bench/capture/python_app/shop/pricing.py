from shop import config


def line_total(line):
    return line["qty"] * line["unit_cents"]


def apply_discount(subtotal, discount):
    per_item = subtotal / discount["items"]
    return subtotal - int(per_item * discount["rate"])


def totals(lines, country, discount=None):
    subtotal = sum(line_total(line) for line in lines)
    if discount:
        subtotal = apply_discount(subtotal, discount)
    tax_rate = config.get("tax_rates")[country]
    tax = round(subtotal * tax_rate)
    return {"subtotal": subtotal, "tax": tax, "total": subtotal + tax, "currency": config.get("currency")}
