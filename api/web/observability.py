"""What operators see: Prometheus metrics, one JSON log line per request, Server-Timing.

Under `dateline serve` every gunicorn worker writes its metrics to
PROMETHEUS_MULTIPROC_DIR and /metrics adds them up, so a scrape sees the whole
instance whichever worker answers it.
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import re
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from peewee import fn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from api.errors import Problem
from api.storage.db import database
from api.storage.models import Source
from api.web.http import produces

access_log = logging.getLogger("dateline.access")
blp = Blueprint("metrics", __name__)

REQUESTS = Counter("dateline_http_requests", "HTTP requests answered.",
                   ["method", "route", "status"])
LATENCY = Histogram("dateline_http_request_duration_seconds", "Time to answer a request.",
                    ["method", "route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
IN_FLIGHT = Gauge("dateline_http_requests_in_flight", "Requests being answered.",
                  multiprocess_mode="livesum")
POOL = Gauge("dateline_db_connections", "Database connections held by this instance.",
             ["state"], multiprocess_mode="livesum")

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@functools.lru_cache(maxsize=512)
def _template(rule: str) -> str:
    return _CONVERTER.sub(r"{\1}", rule)


def route_template() -> str:
    """The matched route in OpenAPI form (/articles/{article_id}); 'unmatched' for 404s."""
    rule = request.url_rule
    return _template(rule.rule) if rule is not None else "unmatched"


def _start_timer():
    g.started = time.perf_counter()
    g.db_seconds = 0.0
    IN_FLIGHT.inc()


_counted: dict[tuple, tuple] = {}


def _series(method: str, route: str, status: int) -> tuple:
    """The request counter and latency histogram of these labels: labels() takes a lock
    and builds its key on every call, the same few series on every request."""
    found = _counted.get((method, route, status))
    if found is None:
        found = _counted[(method, route, status)] = (
            REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
    return found


def _finish(response: Response) -> Response:
    total = time.perf_counter() - g.get("started", time.perf_counter())
    route = route_template()
    counter, latency = _series(request.method, route, response.status_code)
    counter.inc()
    latency.observe(total)
    response.headers["Server-Timing"] = (f"db;dur={g.get('db_seconds', 0.0) * 1000:.2f}, "
                                         f"total;dur={total * 1000:.2f}")
    access_log.info("request", extra={"fields": {
        "request_id": g.get("request_id"), "method": request.method, "route": route,
        "path": request.path, "status": response.status_code,
        "duration_ms": round(total * 1000, 2), "db_ms": round(g.get("db_seconds", 0.0) * 1000, 2),
        "key_id": g.get("key_id"),
    }})
    return response


_pool_seen: dict[str, int] = {}


def _leave(_error=None):
    if "started" in g:
        IN_FLIGHT.dec()
    pool = database.obj
    if hasattr(pool, "_in_use"):
        # Written only when it moved: each write goes to the worker's shared metrics file.
        for state, size in (("in_use", len(pool._in_use)), ("idle", len(pool._connections))):
            if _pool_seen.get(state) != size:
                _pool_seen[state] = size
                POOL.labels(state).set(size)


class _ArticleTotal:
    """Articles stored, read from the database at scrape time (shared by all instances)."""

    def collect(self):
        total = Source.select(fn.COALESCE(fn.SUM(Source.article_count), 0)).scalar()
        family = GaugeMetricFamily("dateline_articles", "Articles stored.")
        family.add_metric([], total)
        yield family


@blp.get("/metrics")
@produces("text/plain", "application/openmetrics-text")
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise Problem(401, "/metrics needs the bearer token in DATELINE_METRICS_TOKEN.",
                          headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, IN_FLIGHT, POOL):
            registry.register(collector)
    registry.register(_ArticleTotal())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})


def install_observability(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_finish)
    app.teardown_request(_leave)
    app.register_blueprint(blp)
