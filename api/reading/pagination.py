"""Keyset pagination: signed, opaque cursors and the next-page link header (RFC 8288)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from flask import current_app
from peewee import Tuple

from api.errors import Problem
from api.storage.models import Setting

_SIGNING_KEY_SETTING = "cursor_signing_key"
_KEY = "dateline.cursor_key"


def use_configured_key(app) -> None:
    """Sign cursors with DATELINE_SECRET_KEY when it is set; otherwise the first cursor
    reads the key migration 0003 keeps in the database for every instance."""
    if configured := app.config["SECRET_KEY"]:
        app.extensions[_KEY] = configured.encode("utf-8")


def _signing_key() -> bytes:
    key = current_app.extensions.get(_KEY)
    if key is None:
        # Written by migration 0003, so every instance (and a read replica) has it.
        key = bytes.fromhex(Setting.get_by_id(_SIGNING_KEY_SETTING).value)
        current_app.extensions[_KEY] = key
    return key


def _signature(payload: bytes) -> bytes:
    return hmac.new(_signing_key(), payload, hashlib.sha256).digest()[:16]


def encode_cursor(order: str, position: list) -> str:
    payload = json.dumps([order, *position], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(_signature(payload) + payload).decode("ascii").rstrip("=")


def decode_cursor(token: str, order: str) -> list:
    """The position a cursor points at; 400 if it was forged, damaged or is for another order."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    signature, payload = raw[:16], raw[16:]
    if len(signature) < 16 or not hmac.compare_digest(signature, _signature(payload)):
        raise Problem(400, "The cursor is not one this service issued; start again without it.",
                      kind="invalid-cursor")
    decoded = json.loads(payload)
    if decoded[0] != order:
        raise Problem(400, f"The cursor belongs to another sort order than {order}.",
                      kind="invalid-cursor")
    return decoded[1:]


def keyset_page(select, columns: tuple, position: tuple | None, descending: bool,
                limit: int, rows=list) -> tuple[list, bool]:
    """At most limit rows of select past position (the columns' values of the last row
    already seen, None from the start) in the columns' order, and whether more follow.
    The walk reads an index in order, so a late page costs what the first does.
    rows(query) runs the query (default: peewee's rows)."""
    if position is not None:
        select = select.where(Tuple(*columns) < Tuple(*position) if descending
                              else Tuple(*columns) > Tuple(*position))
    order = [column.desc() for column in columns] if descending else list(columns)
    found = rows(select.order_by(*order).limit(limit + 1))
    return found[:limit], len(found) > limit


def link_header(url: str | None) -> dict:
    return {"Link": f'<{url}>; rel="next"'} if url else {}
