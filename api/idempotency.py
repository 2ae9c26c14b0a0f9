"""Idempotency-Key on POST: a retried request replays the first answer instead of
writing twice (the pattern of the IETF httpapi Idempotency-Key draft)."""

from __future__ import annotations

import hashlib
import json
import re
from functools import wraps

from flask import Response, make_response, request
from peewee import IntegrityError

from .errors import Problem
from .journal import writing
from .models import IdempotencyKey
from .store import utc_now

HEADER = "Idempotency-Key"
PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "description": "A unique key for this write (e.g. a UUID). Retrying with the same key "
                   "and body replays the first successful answer (marked Idempotent-Replayed); "
                   "the same key with another body is refused with 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[\\x21-\\x7e]+$"},
}
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_REPLAYED_HEADERS = ("Content-Type", "Location", "ETag", "Link")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.mimetype):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise Problem(422, f"{HEADER} {stored.key!r} was used for a different request; "
                           "use a new key for a new request.", kind="idempotency-key-reused")
    response = Response(stored.body, status=stored.status, headers=json.loads(stored.headers))
    response.headers["Idempotent-Replayed"] = "true"
    return response


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
        fingerprint = _fingerprint()
        stored = IdempotencyKey.get_or_none(IdempotencyKey.key == key)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            # The write and the key commit together: a crash leaves neither.
            with writing():
                response = make_response(view(*args, **kwargs))
                if 200 <= response.status_code < 300:
                    IdempotencyKey.insert(
                        key=key, method=request.method, path=request.path,
                        request_hash=fingerprint, status=response.status_code,
                        headers=json.dumps({name: response.headers[name]
                                            for name in _REPLAYED_HEADERS
                                            if name in response.headers}),
                        body=response.get_data(as_text=True), created_at=utc_now()).execute()
                return response
        except (IntegrityError, Problem):
            # A retry that raced the first request loses to it (a duplicate key or a
            # conflicting article): once the first has committed, replay its answer.
            stored = IdempotencyKey.get_or_none(IdempotencyKey.key == key)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
    return wrapper
