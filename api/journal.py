"""Revisions and the change feed's order.

Every write runs inside writing(). Revisions recorded during it are numbered and
inserted as the transaction's last step, so the feed position is claimed after every
row lock the write needs: positions then commit in the order they were handed out,
and waiting for the position row can never close a circle of locks.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from datetime import datetime

from flask import g, has_request_context

from .db import database, insert_rows
from .models import Article, FeedPosition, Revision

_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "dateline_pending_revisions", default=None)
_DATE_FIELDS = frozenset(name for name, field in Article._meta.fields.items()
                         if field.field_type == "DATETIME")


@contextlib.contextmanager
def writing():
    """A transaction (a savepoint when nested) whose revisions commit with it."""
    pending = _pending.get()
    if pending is not None:
        mark = len(pending)
        try:
            with database.atomic():
                yield
        except BaseException:
            del pending[mark:]
            raise
        return
    token = _pending.set([])
    try:
        with database.atomic():
            yield
            _store(_pending.get())
    finally:
        _pending.reset(token)


def require_writing() -> None:
    """Called before an article row is written: outside writing() its revision would be
    lost (and in autocommit mode the row already committed)."""
    if _pending.get() is None:
        raise RuntimeError("article written outside journal.writing()")


def record(article: Article, op: str) -> None:
    """Note that article (as now written) is a new version made by op."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("record() outside writing(): the revision would be lost")
    pending.append((article, op))


# Claims positions and reads the last claimed in one statement (SQLite 3.35+, PostgreSQL).
_CLAIM = 'UPDATE "feed_position" SET "seq" = "seq" + {p} WHERE "id" = 1 RETURNING "seq"'


def _acting_key() -> str | None:
    return g.get("key_id") if has_request_context() else None


def _store(pending: list) -> None:
    if not pending:
        return
    last = database.execute_sql(_CLAIM.format(p=database.param), (len(pending),)).fetchone()[0]
    key_id = _acting_key()
    rows = [{"seq": last - len(pending) + number, "article_id": article.id,
             "version": article.version, "op": op,
             "at": article.deleted_at if op == "deleted" else article.updated_at,
             "source": article.source_id, "key_id": key_id, "snapshot": snapshot(article)}
            for number, (article, op) in enumerate(pending, start=1)]
    insert_rows(Revision, rows)


def snapshot(article: Article) -> str:
    """The article row as JSON text."""
    row = {}
    for name in Article._meta.sorted_field_names:
        value = article.__data__.get(name)
        row[name] = value.isoformat() if isinstance(value, datetime) else value
    return json.dumps(row, ensure_ascii=False)


def from_snapshot(text: str) -> Article:
    """The article a snapshot describes (not saved)."""
    row = json.loads(text)
    for name in _DATE_FIELDS:
        if row.get(name) is not None:
            row[name] = datetime.fromisoformat(row[name])
    return Article(**row)


def last_seq() -> int:
    return FeedPosition.select(FeedPosition.seq).where(FeedPosition.id == 1).scalar() or 0
