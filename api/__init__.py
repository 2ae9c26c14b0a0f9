"""Dateline: a REST API for news-article metadata.

Each folder is a room; a room imports only the rooms listed before it, and any room
imports `api.errors`, the one shape of every error (RFC 9457):

- `text`: reading text: raw items to fields, language, entities, the gazetteer,
  near-duplicate signatures. Knows nothing of the database or HTTP.
- `storage`: the database: opening it, the models, the migrations.
- `writing`: how an article is written: the store, the bulk writer, preconditions,
  revisions and the change feed's order (journal), story grouping, backups.
- `reading`: how articles are found: filtered lists, each backend's full-text search,
  keyset pagination.
- `webhooks`: alerts: subscriptions' matching, signing and delivery.
- `web`: HTTP plumbing every resource shares: bodies and negotiation, the OpenAPI
  document's shapes, keys, rate limits, idempotency, logs and metrics.
- `resources`: one blueprint per resource, the views.

At the top: the app factory (`app`), settings (`config`), the `dateline` command
(`cli`, with `transfer` for its files) and the gunicorn server (`server`, `worker`).
"""


import gc


def settle_heap() -> None:
    """For a process that lives on after start-up (a server worker, an import and its
    workers): leave what start-up built, the gazetteer's few hundred thousand objects
    among it, out of the collector's full passes, and run those passes a tenth as often.
    Each full pass walked all of it, and paused the process's requests or writes while
    it did (README, Performance). Cycles are still collected, only later."""
    gc.freeze()
    gc.set_threshold(700, 10, 100)  # a full pass per 100 middle ones (10 by default)


def create_app(test_config=None):
    """Build the Flask app (see api.app.create_app).

    Imported on call, so `dateline serve` can prepare the metrics directory before
    any worker loads the app and its metrics.
    """
    from api.app import create_app as build

    return build(test_config)


__all__ = ["create_app", "settle_heap"]
