"""Search on SQLite: the FTS5 index over headline, summary and body (migration 0006).

A client's query is rewritten into an FTS5 expression with every term quoted, so that
nothing a client types is FTS5 syntax. The index is joined to articles by rowid.
"""

from __future__ import annotations

import math
import time

from flask import current_app, has_app_context
from peewee import JOIN, SQL, Column, Table, fn

from api.reading import search
from api.reading.search import RankWindow, SearchQuery
from api.storage.models import Article, Source

# Probing the index for one article costs about this many times collecting one hit
# (measured with FTS5 on SQLite 3.40: ~80 us against ~7 us).
_PROBE_COST = 12
# How long a worker keeps its answer to which plan a search takes (_hits_are_many).
PLAN_SECONDS = 60
_MOST_PLANS = 4096
_PLANS = "dateline.search_plans"

# The FTS5 table and a second view of the article table to join it by rowid.
_FTS = Table("article_fts", ("rowid",)).alias("article_fts")
_ROWS = Table("article", ("rowid", "id")).alias("article_rows")


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def expression(query: SearchQuery) -> str:
    groups = ["(" + " OR ".join(_phrase(term) for term in group) + ")"
              for group in query.required]
    found = " AND ".join(groups)
    for term in query.excluded:
        found = f"({found}) NOT {_phrase(term)}"
    return found


def _match(query: SearchQuery):
    return SQL('"article_fts" MATCH ?', [expression(query)])


def matched(select, query: SearchQuery, rows_needed: int | None = None):
    """select, narrowed to the articles that match the search.

    rows_needed: how many rows the caller needs when it walks the articles in an index's
    order and stops there, meeting no filter off that index (a page in date order). A
    search with many hits then probes the full-text index article by article, so a
    common word costs a page's worth of probes instead of collecting its hits from the
    whole collection first. Passages come after, from snippets(), for the articles
    whose passage api.reading.passages does not hold already.
    """
    if rows_needed is not None and _hits_are_many(query, rows_needed):
        # CROSS JOIN: SQLite keeps the articles' walk as the outer loop.
        return select.join_from(Article, _FTS, JOIN.CROSS).where(
            (_FTS.rowid == Column(Article, "rowid")) & _match(query))
    return select.where(
        Column(Article, "rowid").in_(_FTS.select(_FTS.rowid).where(_match(query))))


def _hits_are_many(query: SearchQuery, needed: int) -> bool:
    """Whether walking an index and probing beats collecting every hit: with M hits
    among N articles, a walk probes about needed * N / M articles, a collection costs
    M; counting hits stops at the break-even point, so the check costs at most that.

    The answer is kept for PLAN_SECONDS per worker: counting was a fifth of a search's
    time, and it only picks between two plans that return the same rows."""
    plans = current_app.extensions.setdefault(_PLANS, {}) if has_app_context() else {}
    key, now = (query.text, needed), time.monotonic()
    if (known := plans.get(key)) is not None and now - known[1] < PLAN_SECONDS:
        return known[0]
    if len(plans) >= _MOST_PLANS:
        plans.clear()
    many = _count_reaches(query, needed)
    plans[key] = (many, now)
    return many


def _count_reaches(query: SearchQuery, needed: int) -> bool:
    articles = Source.select(fn.SUM(Source.article_count)).scalar() or 0
    enough = max(needed, math.isqrt(_PROBE_COST * needed * articles))
    hits = _FTS.select(_FTS.rowid).where(_match(query)).limit(enough)
    return hits.count(Article._meta.database) >= enough


def rank_window(select, query: SearchQuery) -> RankWindow:
    """The window of the RANKED_HITS most recently stored hits among the articles select
    filters (without the search), by FTS5 rowid."""
    newest = Article.select(fn.MAX(Column(Article, "rowid"))).scalar()
    # Walks the hits newest first, stopping at the window's end: the filters are
    # checked on each hit's row, never on the whole collection.
    hits = select.select(_FTS.rowid).join(
        _FTS, on=(_FTS.rowid == Column(Article, "rowid"))).where(
        _match(query) & (_FTS.rowid <= newest)).order_by(_FTS.rowid.desc())
    return RankWindow(hits.limit(1).offset(search.RANKED_HITS - 1).scalar(), newest)


def _bm25():
    """bm25 is lower for better hits; headline counts most, then summary, then body."""
    return fn.bm25(SQL("article_fts"), 10.0, 4.0, 1.0) * -1


def current_rank(query: SearchQuery, article_id: str, version: int) -> float | None:
    """The relevance an article has now, or None when it no longer matches or has
    changed since that version.

    bm25 reads the collection's statistics, so every article stored moves every score
    (for one word, all hits alike): a cursor resumes from its article's score of the
    moment rather than the one it wrote down, unless the article itself was edited."""
    # From the article to the index by rowid, as in snippets().
    score = _FTS.select(_bm25()).where(_match(query) & (_FTS.rowid == _ROWS.rowid))
    rows = _ROWS.select(score).where((_ROWS.id == article_id)
                                     & (Column(_ROWS, "version") == version))
    return next((value for value, in rows.tuples().execute(Article._meta.database)), None)


def ranked(select, query: SearchQuery, window: RankWindow):
    """select (with no search filter of its own), cut to the hits in the window and
    joined to each one's relevance as `rank` (higher is better), with the window's ends
    as `rank_oldest` and `rank_newest`."""
    inside = _FTS.rowid <= window.newest
    if window.oldest is not None:
        inside &= _FTS.rowid >= window.oldest
    # Joined by rowid: through the id, each of up to RANKED_HITS hits cost a second
    # index lookup.
    scores = _FTS.select(_FTS.rowid.alias("hit"), _bm25().alias("rank")).where(
        _match(query) & inside).alias("hits")
    return select.select_extend(scores.c.rank.alias("rank"), *window.columns()).join(
        scores, on=(scores.c.hit == Column(Article, "rowid"))), scores.c.rank


def _snippet():
    return fn.snippet(SQL("article_fts"), -1, "<mark>", "</mark>", "…", search.SNIPPET_WORDS)


def snippets(query: SearchQuery, article_ids: list[str]) -> dict[str, tuple[int, str | None]]:
    """A short passage of each article around the words found, hits in <mark>, with the
    version of the article it was read from."""
    if not article_ids:
        return {}
    # From the page's articles to the index, one lookup each: joined the other way,
    # SQLite would walk every hit of the search to find the page's few.
    excerpt = _FTS.select(_snippet()).where(_match(query) & (_FTS.rowid == _ROWS.rowid))
    rows = _ROWS.select(_ROWS.id, Column(_ROWS, "version"), excerpt).where(
        _ROWS.id.in_(article_ids)).tuples()
    return {article_id: (version, passage)
            for article_id, version, passage in rows.execute(Article._meta.database)}
