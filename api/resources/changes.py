"""/changes: every change to every article, in one strict order a mirror can replay."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time

from flask import Response, request, stream_with_context
from flask.views import MethodView

from api.errors import Problem
from api.storage.db import database, reading_primary
from api.storage.models import ArticleEntity, Revision
from api.web.http import JSON, Blueprint, produces
from api.writing import store
from api.writing.journal import feed_epoch, last_seq, position
from schemas.revision import (
    POSITION_PATTERN,
    ChangePageSchema,
    ChangeQuerySchema,
    ChangeSchema,
)

blp = Blueprint("changes", __name__, description="The change feed.")

EVENT_STREAM = "text/event-stream"
_POLL_SECONDS = 0.2
_KEEPALIVE_SECONDS = 15
_POSITION = re.compile(POSITION_PATTERN)
# Long polls and event streams hold a worker thread while they wait; this many may
# wait at once in a process (`dateline serve` runs 4 threads a worker), the rest get 503.
WAITING_PER_WORKER = 3
_waiting = threading.BoundedSemaphore(WAITING_PER_WORKER)


def read_changes(query: dict, since: int) -> tuple[list[Revision], int]:
    """The changes after since, and the position to continue from.

    The feed position is read first: positions commit in order, so every change up to
    it is already visible, and the page may end there even when filters skip the rest.
    """
    ceiling = last_seq()
    select = (Revision.select(Revision.seq, Revision.article_id, Revision.op,
                              Revision.version, Revision.at)
              .where((Revision.seq > since) & (Revision.seq <= ceiling)))
    if query.get("source"):
        select = select.where(Revision.source.in_(query["source"]))
    if query.get("tag"):
        tagged = ArticleEntity.select(ArticleEntity.article).where(
            (ArticleEntity.kind == "tag")
            & ArticleEntity.value.in_([store.index_key(name) for name in query["tag"]]))
        select = select.where(Revision.article_id.in_(tagged))
    rows = list(select.order_by(Revision.seq).limit(query["limit"]))
    if len(rows) == query["limit"]:
        return rows, rows[-1].seq
    return rows, max(ceiling, since)


def start_of(since: str | None) -> tuple[str, int]:
    """The feed's epoch and the number a client's position names (none: the beginning).
    A position of another epoch, or past the end, is gone (410): the client's copy was
    made from a feed this database no longer has (it was restored from a backup)."""
    # The primary decides: a replica behind it may not have reached a position yet.
    with reading_primary():
        epoch, ceiling = feed_epoch(), last_seq()
    if since is None:
        return epoch, 0
    claimed, _, number = since.rpartition("-")
    seq = int(number)
    if claimed not in ("", epoch):
        raise Problem(410, "This position belongs to an earlier copy of the feed (the "
                           "database was restored since): resync from the beginning, "
                           "without since.", kind="feed-epoch-changed", epoch=epoch)
    if seq > ceiling:
        raise Problem(410, "This position is past the end of the feed, which was reset or "
                           "restored since: resync from the beginning, without since.",
                      kind="feed-position-gone", epoch=epoch, last_seq=position(epoch, ceiling))
    return epoch, seq


def _change(row: Revision, epoch: str) -> dict:
    return {"seq": position(epoch, row.seq), "id": row.article_id, "op": row.op,
            "version": row.version, "at": row.at}


@contextlib.contextmanager
def _waiting_slot():
    if not _waiting.acquire(blocking=False):
        raise Problem(503, "Too many clients are waiting for changes on this server; poll "
                           "without waiting or retry shortly.", kind="busy",
                      headers={"Retry-After": "5"})
    try:
        yield
    finally:
        _waiting.release()


def _idle() -> None:
    # Give the connection back while waiting, so a waiting client holds no pool slot.
    database.close()
    time.sleep(_POLL_SECONDS)


def _wait_for_changes(query: dict, since: int) -> tuple[list[Revision], int]:
    deadline = time.monotonic() + query["timeout"]
    rows, last = read_changes(query, since)
    if rows or query["timeout"] == 0:
        return rows, last
    with _waiting_slot():
        while not rows and time.monotonic() < deadline:
            _idle()
            rows, last = read_changes(query, since)
    return rows, last


def _event_stream(query: dict, epoch: str, since: int) -> Response:
    slot = _waiting_slot()
    slot.__enter__()  # before the response starts, so a full server answers 503
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    response = Response(stream_with_context(_changes_as_events(query, epoch, since)),
                        mimetype=EVENT_STREAM, headers=headers)
    # Runs when the server closes the response, however the stream ended.
    response.call_on_close(lambda: slot.__exit__(None, None, None))
    return response


def _changes_as_events(query: dict, epoch: str, since: int):
    schema = ChangeSchema()
    position, deadline = since, time.monotonic() + query["timeout"]
    quiet_since = time.monotonic()
    yield "retry: 1000\n\n"
    while time.monotonic() < deadline:
        rows, position = read_changes(query, position)
        for row in rows:
            change = _change(row, epoch)
            yield f"id: {change['seq']}\nevent: change\ndata: {json.dumps(schema.dump(change))}\n\n"
        if rows:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since > _KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        _idle()


_STREAM_RESPONSE = {200: {"content": {EVENT_STREAM: {"schema": {
    "type": "string",
    "description": "Server-sent events: one `change` event per change, its `id` the seq; "
                   "the stream ends after `timeout` seconds and EventSource reconnects "
                   "with Last-Event-ID."}}}}}


@blp.route("/changes")
class Changes(MethodView):
    @produces(JSON, EVENT_STREAM)
    @blp.doc(responses=_STREAM_RESPONSE, parameters=[{
        "in": "header", "name": "Last-Event-ID", "required": False,
        "description": "For event streams: the seq to continue after (when `since` is absent).",
        "schema": {"type": "string", "pattern": POSITION_PATTERN}}])
    @blp.arguments(ChangeQuerySchema, location="query", error_status_code=400)
    @blp.response(200, ChangePageSchema)
    @blp.alt_response(410, response="GONE", description="`since` (or Last-Event-ID) names "
                      "a position of another epoch or past the end: resync from the "
                      "beginning.")
    def get(self, query):
        """List changes to articles in the order they were committed"""
        wants_stream = request.accept_mimetypes.best_match((JSON, EVENT_STREAM)) == EVENT_STREAM
        resume = request.headers.get("Last-Event-ID")
        if resume is not None and not _POSITION.match(resume):
            raise Problem(400, "Last-Event-ID must be a seq this feed sent.",
                          kind="invalid-position")
        epoch, since = start_of(query.get("since") or (resume if wants_stream else None))
        if wants_stream:
            return _event_stream(query, epoch, since)
        if query["feed"] == "longpoll":
            rows, last = _wait_for_changes(query, since)
        else:
            rows, last = read_changes(query, since)
        return {"changes": [_change(row, epoch) for row in rows],
                "last_seq": position(epoch, last)}
