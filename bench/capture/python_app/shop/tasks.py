import logging
import os

import sentry_sdk

from shop import config, inventory

log = logging.getLogger("shop.tasks")


class MailerTimeout(TimeoutError):
    pass


def send_invoice_email(order_ref, recipient):
    smtp = config.get("smtp")
    log.info("sending invoice %s to %s via %s:%d", order_ref, recipient, smtp["host"], smtp["port"])
    raise MailerTimeout("SMTP %s:%d did not answer within 10s" % (smtp["host"], smtp["port"]))


def nightly_cleanup():
    path = os.path.join(config.data_dir(), "exports", "stale.lock")
    with open(path) as f:
        return f.read()


def run(job, *args):
    """Run a background job; report failures without crashing the worker."""
    try:
        return job(*args)
    except Exception:
        sentry_sdk.capture_exception()
        return None


def run_logged(job, *args):
    try:
        return job(*args)
    except Exception:
        log.exception("job %s failed", job.__name__)
        return None


def sync_inventory(snapshot):
    return inventory.sync_from_warehouse(snapshot)


def import_batch(rows):
    errors = []
    for i, row in enumerate(rows):
        try:
            inventory.parse_quantity(row["qty"])
        except ValueError as e:
            errors.append(e)
    if errors:
        raise ExceptionGroup("batch import failed for %d rows" % len(errors), errors)


def rebuild_search_index(docs):
    try:
        return {d["id"]: d["title"].lower() for d in docs}
    except KeyError:
        fallback = [d.title for d in docs]
        return fallback
