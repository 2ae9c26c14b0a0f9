"""Rate limits per API key, or per client address without one (Flask-Limiter).

Counters live in memory (per worker process) unless DATELINE_REDIS_URL names a Redis
server, which every worker and instance then shares. Each response reports the policy
and what is left of it in the RateLimit-Policy and RateLimit fields of the IETF
httpapi draft; a request over the limit gets 429 problem+json with Retry-After.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RequestLimit

from api.errors import problem_response

_POLICY = "default"
# Probes, documentation and metrics stay reachable under any load.
_EXEMPT_BLUEPRINTS = frozenset({"health", "docs", "api-docs", "metrics"})


def _caller() -> str:
    key_id = g.get("key_id")
    return f"key:{key_id}" if key_id else f"address:{request.remote_addr}"


def _seconds_until(moment: float, window: int) -> int:
    return min(window, max(0, math.ceil(moment - time.time())))


def _fields(limit: RequestLimit) -> dict:
    return {
        "RateLimit-Policy": f'"{_POLICY}";q={limit.limit.amount};w={limit.limit.get_expiry()}',
        "RateLimit": f'"{_POLICY}";r={max(limit.remaining, 0)};'
                     f't={_seconds_until(limit.reset_at, limit.limit.get_expiry())}',
    }


def _too_many(limit: RequestLimit) -> Response:
    wait = _seconds_until(limit.reset_at, limit.limit.get_expiry())
    return problem_response(
        429, f"Rate limit of {limit.limit.amount} requests per {limit.limit.get_expiry()} s "
             f"reached; retry in {wait} s.", kind="rate-limited",
        headers={"Retry-After": str(max(wait, 1)), **_fields(limit)})


def _report(response: Response) -> Response:
    limiter = current_app.extensions.get("dateline.limiter")
    limit = limiter.current_limit if limiter else None
    if limit is not None and "RateLimit" not in response.headers:
        response.headers.update(_fields(limit))
    return response


def install_rate_limits(app: Flask) -> None:
    """Limit every caller to DATELINE_RATE_LIMIT; off when that setting is empty."""
    rate = app.config["RATE_LIMIT"]
    if not rate:
        return
    limiter = Limiter(
        _caller, app=app, application_limits=[rate],
        application_limits_exempt_when=lambda: request.blueprint in _EXEMPT_BLUEPRINTS,
        storage_uri=app.config["REDIS_URL"] or "memory://", strategy="fixed-window",
        headers_enabled=False, on_breach=_too_many, key_prefix="dateline",
        # If Redis is unreachable, serve rather than fail every request.
        swallow_errors=True)
    app.extensions["dateline.limiter"] = limiter
    app.after_request(_report)
