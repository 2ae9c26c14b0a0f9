"""Each search hit's passage (its `snippet`), remembered per article version.

A passage depends on the query and the article's text alone, so a worker keeps it
under (query, article id, version, updated_at), and keeps only a passage read from the
version its page shows: an edit makes a version no worker holds. Working a passage out
reads the article's whole text and tokenizes it (FTS5's snippet() twice over, about
50 µs for a body of 6 KB; PostgreSQL's ts_headline more), where walking to a page's
twenty hits without passages takes 0.4 to 0.6 ms.
"""

from __future__ import annotations

import sys
import threading

from cachetools import TTLCache
from flask import current_app, has_app_context

from api.reading import search
from api.storage.models import Article
from schemas.article import MAX_PAGE_SIZE

# What a worker keeps, counted in bytes: one passage can run long (a run of CJK text
# with no spaces is one FTS5 word).
MOST_BYTES = 8_000_000
# A purged article's passages are never shown (its row is gone), but they leave every
# worker's memory within this long.
KEEP_SECONDS = 3600
_KEPT = "dateline.passages"
_KEY_BYTES = 400


def _size(passage: str) -> int:
    return sys.getsizeof(passage) + _KEY_BYTES


def _kept() -> tuple[TTLCache, threading.Lock] | None:
    if not has_app_context():
        return None
    kept = current_app.extensions.get(_KEPT)
    if kept is None:
        kept = current_app.extensions.setdefault(
            _KEPT, (TTLCache(MOST_BYTES, KEEP_SECONDS, getsizeof=_size), threading.Lock()))
    return kept


def fresh(text: str, article_ids: list[str]) -> dict[str, tuple[int, str | None]]:
    """The backend's passages of these articles, each with the version it was read from."""
    return search.engine().snippets(search.parse(text), article_ids)


def mark(page: list[Article], text: str) -> None:
    """Set each article's snippet: its passage for the search text."""
    rows = {row.id: row for row in page}
    keys = {row.id: (text, row.id, row.version, row.updated_at) for row in page}
    # Pages longer than a client may ask for are an NDJSON stream's, which keeps nothing:
    # one stream of a whole result would push out every other search's passages.
    found, kept = {}, _kept() if len(page) <= MAX_PAGE_SIZE else None
    if kept is not None:
        passages, lock = kept
        with lock:
            found = {article_id: passages[key] for article_id, key in keys.items()
                     if key in passages}
    missing = [article_id for article_id in keys if article_id not in found]
    if missing:
        read = fresh(text, missing)
        found.update((article_id, passage) for article_id, (_, passage) in read.items())
        keep = {keys[article_id]: passage for article_id, (version, passage) in read.items()
                if passage is not None and version == rows[article_id].version
                and _size(passage) <= MOST_BYTES}
        if kept is not None and keep:
            with lock:
                passages.update(keep)
    for article_id, row in rows.items():
        row.snippet = found.get(article_id)
