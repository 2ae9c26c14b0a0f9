"""The deliverer each `dateline serve` worker runs: a thread that makes a pass over
due subscriptions about every second. Several workers and instances run one each;
the lease on each subscription lets only one of them work it at a time."""

from __future__ import annotations

import logging
import threading

from api.storage.db import database
from api.webhooks.engine import deliver_due

POLL_SECONDS = 1.0
_log = logging.getLogger("dateline.webhooks")


def _run(app, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with app.app_context():
                deliver_due()
        except Exception:  # a database outage, say: log it and try again next pass
            _log.exception("webhook delivery pass failed")
        finally:
            if not database.is_closed():
                database.close()
        stop.wait(POLL_SECONDS)


def start_deliverer(app) -> threading.Event | None:
    """Start delivering in this process unless DATELINE_WEBHOOK_DELIVERY is false;
    set the event returned to stop after the current pass."""
    if not app.config["WEBHOOK_DELIVERY"]:
        return None
    stop = threading.Event()
    threading.Thread(target=_run, args=(app, stop), name="dateline-webhooks",
                     daemon=True).start()
    return stop
