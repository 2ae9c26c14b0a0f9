"""Idempotency-Key on POST: a retried request replays the first answer instead of
writing twice (the IETF httpapi Idempotency-Key draft).

A key belongs to the API key that sent it, so two clients never see or block each
other's. It is claimed, in a commit of its own, before the write it guards: a second
request while the first is in flight is refused with 409 instead of writing again. The
answer commits with the write; a failed write gives the key back. Keys expire after
DATELINE_IDEMPOTENCY_TTL, and writes purge expired ones as they go.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, current_app, g, make_response, request
from peewee import IntegrityError

from api.errors import Problem
from api.storage.db import database, reading_primary
from api.storage.models import IdempotencyKey
from api.writing.journal import writing
from api.writing.store import utc_now

HEADER = "Idempotency-Key"
PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "description": "A unique key for this write (e.g. a UUID), per API key. Retrying with "
                   "the same key and body replays the first successful answer (marked "
                   "Idempotent-Replayed); the same key with another body is refused with "
                   "422, and while the first request is still being processed with 409. "
                   "A key may be used again once it expires (DATELINE_IDEMPOTENCY_TTL, "
                   "24 hours by default).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[\\x21-\\x7e]+$"},
}
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_REPLAYED_HEADERS = ("Content-Type", "Location", "ETag", "Link")
# A claim whose write never finished (its server was killed mid-request) is given up
# after the longest a request may run (gunicorn's timeout in `dateline serve`).
ABANDONED_AFTER = timedelta(seconds=90)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.mimetype):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.status is None:
        raise Problem(409, f"A request with {HEADER} {stored.key!r} is still being "
                           "processed; retry once it has been answered.",
                      kind="idempotency-key-in-flight", headers={"Retry-After": "1"})
    if stored.request_hash != fingerprint:
        raise Problem(422, f"{HEADER} {stored.key!r} was used for a different request; "
                           "use a new key for a new request.", kind="idempotency-key-reused")
    response = Response(stored.body, status=stored.status, headers=json.loads(stored.headers))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _where(scope: str, key: str):
    return (IdempotencyKey.key_id == scope) & (IdempotencyKey.key == key)


def _claim(scope: str, key: str, fingerprint: str) -> tuple[IdempotencyKey | None, datetime]:
    """Claim key for this request (None, and when it was claimed), or the claim or
    answer already holding it."""
    now = utc_now()
    expired = now - timedelta(seconds=current_app.config["IDEMPOTENCY_TTL"])
    # Read before taking the writer lock, which the request in flight may hold.
    stored = IdempotencyKey.get_or_none(_where(scope, key))
    if stored is not None and stored.created_at >= expired and not (
            stored.status is None and stored.created_at < now - ABANDONED_AFTER):
        return stored, now
    with database.atomic():
        IdempotencyKey.delete().where(IdempotencyKey.created_at < expired).execute()
        if stored is not None:
            IdempotencyKey.delete().where(
                _where(scope, key) & (IdempotencyKey.created_at == stored.created_at)).execute()
        try:
            with database.atomic():
                IdempotencyKey.insert(key_id=scope, key=key, method=request.method,
                                      path=request.path, request_hash=fingerprint,
                                      created_at=now).execute()
        except IntegrityError:  # claimed by a request that raced this one
            return IdempotencyKey.get(_where(scope, key)), now
    return None, now


def idempotent(view):
    """Make a POST view replay its first 2xx answer for a repeated Idempotency-Key."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _VALID_KEY.match(key):
            raise Problem(400, f"{HEADER} must be 1 to 255 visible ASCII characters.",
                          kind="invalid-idempotency-key")
        scope, fingerprint = g.get("key_id") or "", _fingerprint()
        with reading_primary():
            stored, claimed_at = _claim(scope, key, fingerprint)
            if stored is not None:
                return _replay(stored, fingerprint)
            # This request's claim, not one made after it was given up as abandoned.
            ours = _where(scope, key) & (IdempotencyKey.created_at == claimed_at)
            try:
                # The write and its answer commit together: a crash leaves neither.
                with writing():
                    response = make_response(view(*args, **kwargs))
                    if 200 <= response.status_code < 300:
                        IdempotencyKey.update(
                            status=response.status_code, body=response.get_data(as_text=True),
                            headers=json.dumps({name: response.headers[name]
                                                for name in _REPLAYED_HEADERS
                                                if name in response.headers}),
                        ).where(ours).execute()
                        return response
            except BaseException:
                _give_back(ours)
                raise
            _give_back(ours)
            return response
    return wrapper


def _give_back(claim) -> None:
    """A request that wrote nothing leaves its key free for a retry."""
    IdempotencyKey.delete().where(claim & IdempotencyKey.status.is_null()).execute()
