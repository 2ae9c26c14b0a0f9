"""Each search hit's passage (its `snippet`), remembered per article version.

A passage depends on the query and the article's text alone, so a worker keeps it
under (query, article id, version, updated_at): an edit makes a new version, whose
passage is worked out afresh, and nothing another worker or instance writes can make a
kept one wrong. Working one out reads the article's whole text and tokenizes it (FTS5's
snippet() twice over, about 50 µs an article of 6 KB; PostgreSQL's ts_headline more),
while finding the hits of a page, without passages, costs about as much for twenty
articles as their passages do for two.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache
from flask import current_app, has_app_context

from api.reading import search
from api.storage.models import Article

# Passages a worker keeps: about 800 bytes each with its key, some 8 MB in all.
MOST = 10_000
_KEPT = "dateline.passages"


def _kept() -> tuple[LRUCache, threading.Lock] | None:
    if not has_app_context():
        return None
    return current_app.extensions.setdefault(_KEPT, (LRUCache(MOST), threading.Lock()))


def mark(page: list[Article], text: str) -> None:
    """Set each article's snippet: its passage for the search text."""
    keys = {row.id: (text, row.id, row.version, row.updated_at) for row in page}
    found, kept = {}, _kept()
    if kept is not None:
        passages, lock = kept
        with lock:
            found = {article_id: passages[key] for article_id, key in keys.items()
                     if key in passages}
    missing = [article_id for article_id in keys if article_id not in found]
    if missing:
        fresh = search.engine().snippets(search.parse(text), missing)
        found.update(fresh)
        if kept is not None:
            with lock:
                for article_id, passage in fresh.items():
                    if passage is not None:
                        passages[keys[article_id]] = passage
    for row in page:
        row.snippet = found.get(row.id)
