import os

SETTINGS = {
    "currency": "EUR",
    "tax_rates": {"DE": 0.19, "FR": 0.20, "NL": 0.21, "IT": 0.22},
    "payment": {"provider": "acme-pay", "timeout_ms": 2500, "retries": 2},
    "smtp": {"host": "mail.internal", "port": 587},
    "feature_flags": ["new-checkout", "bulk-discounts"],
}


def get(path, default=None):
    node = SETTINGS
    for part in path.split("."):
        node = node[part]
    return node if node is not None else default


def data_dir():
    return os.path.join(os.path.dirname(__file__), "data")
