"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from api.config import load_settings
from api.errors import register_error_handlers
from api.reading import pagination
from api.resources import (
    articles,
    batch,
    changes,
    docs,
    health,
    keys,
    revisions,
    sources,
    stories,
    subscriptions,
    takedown,
    timelines,
)
from api.storage.db import database, open_database, reading_replica
from api.text import gazetteer
from api.web import auth
from api.web.http import FastJSONProvider, assign_request_id, install_converters, install_http_hooks
from api.web.limits import install_rate_limits
from api.web.logs import configure_logging
from api.web.observability import install_observability
from api.web.spec import API_DESCRIPTION, API_TITLE, API_VERSION, OPENAPI_VERSION, Api


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from DATELINE_* settings, overridden by test_config when given."""
    app = Flask(__name__, static_folder=None)
    app.json = FastJSONProvider(app)
    app.config.from_mapping(load_settings())
    if test_config:
        app.config.from_mapping(test_config)
    app.config.update(
        MAX_CONTENT_LENGTH=app.config["MAX_BODY_BYTES"],
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION=OPENAPI_VERSION,
        API_SPEC_OPTIONS={"info": {"description": API_DESCRIPTION,
                                   "license": {"name": "MIT", "identifier": "MIT"}}},
    )
    app.json.sort_keys = False
    if hops := app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    configure_logging(app.config["LOG_LEVEL"])
    gazetteer.load()  # once per process; a first write would otherwise wait on it

    database.initialize(open_database(app.config["DATABASE_URL"], app.config["DB_POOL_SIZE"],
                                      app.config["SQLITE_SYNCHRONOUS"]))
    replica_url = app.config["READ_DATABASE_URL"]
    database.initialize_replica(
        open_database(replica_url, app.config["DB_POOL_SIZE"]) if replica_url else None)
    assign_request_id(app)
    auth.install_key_cache(app)
    pagination.use_configured_key(app)
    install_observability(app)
    # No connection is opened here: peewee takes one from the pool at the first query,
    # so /healthz, /docs and the like answer even while the database is down.
    app.before_request(_choose_database)
    app.before_request(auth.identify)
    # Between the two, so a caller with a key is counted by its key, and refused
    # requests are counted too.
    install_rate_limits(app)
    app.before_request(auth.authorize)
    app.teardown_request(_close_connection)
    install_converters(app)
    install_http_hooks(app)
    register_error_handlers(app)
    api = Api(app)
    for blueprint in (batch.blp, articles.blp, revisions.blp, changes.blp, sources.blp,
                      keys.blp, takedown.blp, timelines.blp, stories.blp,
                      subscriptions.blp, health.blp):
        api.register_blueprint(blueprint)
    auth.document_security(api.spec)
    app.register_blueprint(docs.blp)
    if app.config["CORS_ORIGINS"]:
        CORS(app, origins=list(app.config["CORS_ORIGINS"]), expose_headers=EXPOSED_HEADERS,
             allow_headers=["Content-Type", "If-Match", "If-None-Match", "Idempotency-Key",
                            "X-Request-ID", "Authorization"], max_age=600)
    return app


_READS = frozenset({"GET", "HEAD"})
# Response headers a browser client may read across origins.
EXPOSED_HEADERS = ["ETag", "Link", "Location", "X-Total-Count", "X-Request-ID",
                   "Server-Timing", "Idempotent-Replayed", "RateLimit", "RateLimit-Policy",
                   "Retry-After"]


def _choose_database():
    # Reads may go to the replica; writes, and the checks they make, to the primary.
    if request.method in _READS:
        g.replica_context = reading_replica()
        g.replica_context.__enter__()


def _close_connection(_error=None):
    # A read may have used both: the replica for data, the primary for the API key.
    for used in (database.primary, database.replica):
        if used is not None and not used.is_closed():
            used.close()
    if "replica_context" in g:
        g.pop("replica_context").__exit__(None, None, None)
