"""Dateline: a REST API for news-article metadata."""


def create_app(test_config=None):
    """Build the Flask app (see api.app.create_app).

    Imported on call, so `dateline serve` can prepare the metrics directory before
    any worker loads the app and its metrics.
    """
    from .app import create_app as build

    return build(test_config)


__all__ = ["create_app"]
