"""API keys and who may call what: only a hash of each secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time

import uuid6
from flask import current_app, g, has_app_context, request
from peewee import IntegrityError

from api.errors import Problem
from api.storage.db import database, reading_primary
from api.storage.models import ApiKey
from api.writing.store import utc_now
from schemas.key import KEY_NAME, SCOPES  # each scope allows what the ones before it allow

_SECRET = re.compile(r"^dl_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")
# Endpoints anyone may call: probes, the documentation, and /metrics (its own token).
_OPEN_BLUEPRINTS = frozenset({"health", "docs", "api-docs", "metrics"})
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that store nothing count as reads.
_READ_ENDPOINTS = frozenset({"articles.Extraction"})


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(name: str, scope: str) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown this once and never stored."""
    if scope not in SCOPES:
        raise Problem(422, f"scope must be one of {', '.join(SCOPES)}.", kind="validation-error")
    if not re.match(KEY_NAME, name):
        raise Problem(422, "A key name is letters, digits, '.', '_' and '-', up to 100, "
                           "starting with a letter or digit.", kind="validation-error")
    prefix = secrets.token_hex(6)
    secret = f"dl_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(id=str(uuid6.uuid7()), name=name, scope=scope, prefix=prefix,
                 secret_hash=_digest(secret), created_at=utc_now())
    try:
        with database.atomic():
            key.save(force_insert=True)
    except IntegrityError:
        raise Problem(409, f"A key named {name!r} exists already.",
                      kind="duplicate-key-name") from None
    return key, secret


def find_key(id_or_name: str) -> ApiKey:
    # By id first: a name that happens to look like another key's id must not shadow it.
    key = (ApiKey.get_or_none(ApiKey.id == id_or_name)
           or ApiKey.get_or_none(ApiKey.name == id_or_name))
    if key is None:
        raise Problem(404, f"No API key has the id or name {id_or_name!r}.")
    return key


def revoke_key(id_or_name: str) -> ApiKey:
    key = find_key(id_or_name)
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        ApiKey.update(revoked_at=key.revoked_at).where(ApiKey.id == key.id).execute()
    if has_app_context() and (trusted := current_app.extensions.get(_TRUSTED)):
        trusted.clear()
    return key


def has_usable_keys() -> bool:
    return ApiKey.select().where(ApiKey.revoked_at.is_null()).exists()


_TRUSTED = "dateline.trusted_keys"


class TrustedKeys:
    """Keys this worker has checked lately, by the digest of their secret: clients send
    their key with every read, and a database lookup cost a sixth of a GET. A key
    revoked elsewhere is trusted here for at most `seconds` more."""

    _MOST = 4096

    def __init__(self, seconds: int):
        self.seconds = seconds
        self._checked: dict[str, tuple[ApiKey, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> ApiKey | None:
        found = self._checked.get(digest)
        if found is None or time.monotonic() - found[1] >= self.seconds:
            return None
        return found[0]

    def put(self, digest: str, key: ApiKey) -> None:
        if not self.seconds:
            return
        with self._lock:
            if len(self._checked) >= self._MOST:
                self._checked.clear()
            self._checked[digest] = (key, time.monotonic())

    def clear(self) -> None:
        with self._lock:
            self._checked.clear()


def install_key_cache(app) -> None:
    app.extensions[_TRUSTED] = TrustedKeys(app.config["KEY_CACHE_SECONDS"])


def verify(secret: str) -> ApiKey | None:
    """The live key this secret belongs to, compared in constant time; else None."""
    trusted = current_app.extensions.get(_TRUSTED) if has_app_context() else None
    digest = _digest(secret)
    if trusted is not None and (key := trusted.get(digest)) is not None:
        return key
    key = _look_up(secret, digest)
    if key is not None and trusted is not None:
        trusted.put(digest, key)
    return key


def _look_up(secret: str, digest: str) -> ApiKey | None:
    match = _SECRET.match(secret)
    key = None
    if match:
        # On the primary: a key just created or revoked counts at once, replica or not.
        with reading_primary():
            key = ApiKey.get_or_none((ApiKey.prefix == match[1])
                                     & ApiKey.revoked_at.is_null())
    expected = key.secret_hash if key else _digest("")
    # Compare even when no key was found, so timing does not tell the two apart.
    return key if hmac.compare_digest(expected, digest) and key else None


# Managing keys and purging articles (their operations are tagged with these names too).
ADMIN_BLUEPRINTS = frozenset({"keys", "takedowns"})
# Resources owned by the key that made them, reads included: a subscription's target
# and delivery log are its owner's business (and an admin's), so even a GET needs a
# key, and the write scope that can own one.
OWNED_BLUEPRINTS = frozenset({"subscriptions"})


def required_scope() -> str | None:
    """The scope this request needs, or None when anyone may make it."""
    # A CORS preflight never carries credentials; the request it announces is checked.
    if (request.endpoint is None or request.blueprint in _OPEN_BLUEPRINTS
            or request.method == "OPTIONS"):
        return None
    if request.blueprint in ADMIN_BLUEPRINTS:
        return "admin"
    if request.blueprint in OWNED_BLUEPRINTS:
        return "write"
    if request.method in _READS or request.endpoint in _READ_ENDPOINTS:
        return "read" if current_app.config["READS_NEED_KEY"] else None
    return "write"


def _unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = 'Bearer realm="dateline"' + (f', error="{error}"' if error else "")
    return Problem(401, detail, kind="unauthorized", headers={"WWW-Authenticate": challenge})


def identify() -> None:
    """Before the rate limiter: whose key this is (g.key_id), or why it is refused
    (g.key_refusal, raised by authorize() once the request has been counted)."""
    if request.blueprint in _OPEN_BLUEPRINTS:
        return  # /metrics reads its own bearer token
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        g.key_refusal = _unauthorized("Send the API key as 'Authorization: Bearer <key>'.",
                                      "invalid_request")
        return
    key = verify(secret.strip())
    if key is None:
        g.key_refusal = _unauthorized("The API key is unknown or revoked.", "invalid_token")
        return
    g.key_id, g.key = key.id, key


def authorize() -> None:
    """After the rate limiter: refuse a bad key, a missing one, or too weak a scope."""
    if "key_refusal" in g:
        raise g.key_refusal
    needed = required_scope()
    if needed is None:
        return
    key = g.get("key")
    if key is None:
        raise _unauthorized(f"This request needs an API key with the {needed} scope.")
    if SCOPES.index(key.scope) < SCOPES.index(needed):
        raise Problem(403, f"The key {key.name!r} has the {key.scope} scope; this request "
                           f"needs {needed}.", kind="forbidden", key_scope=key.scope,
                      needed_scope=needed)


_OPEN_PATHS = ("/healthz", "/readyz")


def document_security(spec) -> None:
    """Mark each operation in the OpenAPI document with the key it needs."""
    spec.components.security_scheme("apiKey", {
        "type": "http", "scheme": "bearer",
        "description": "An API key from `dateline keys create` or POST /keys, sent as "
                       "'Authorization: Bearer <key>'. Scopes: read < write < admin."})
    for path, operations in spec._paths.items():  # apispec keeps registered paths here
        for method, operation in operations.items():
            if path in _OPEN_PATHS or method not in {"get", "post", "put", "patch", "delete"}:
                continue
            tags = set(operation.get("tags", ()))
            needed = "admin" if ADMIN_BLUEPRINTS & tags else (
                "write" if OWNED_BLUEPRINTS & tags else
                "read" if method == "get" or path == "/extract" else "write")
            if needed == "read":
                operation["security"] = [{}, {"apiKey": []}]
                continue
            operation["security"] = [{"apiKey": []}]
            responses = operation.setdefault("responses", {})
            for status, name in (("401", "UNAUTHORIZED"), ("403", "FORBIDDEN")):
                responses.setdefault(status, spec.components.get_ref("response", name))
