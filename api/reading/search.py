"""Full-text search over headline, summary and body.

One query language on both backends, that of web search boxes: words (all must
match), "quoted phrases", OR between two terms, and -word or -"phrase" to exclude.
PostgreSQL reads it with websearch_to_tsquery against each article's stored,
GIN-indexed search vector; SQLite gets the same query rewritten for its FTS5 index,
every term quoted so that nothing a client types is FTS5 syntax.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, has_app_context
from peewee import SQL, Case, Column, Expression, Table, Value, fn

from api.errors import Problem
from api.storage.db import is_sqlite
from api.storage.models import Article, Source

_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)
# PostgreSQL: the body is indexed up to this many characters (a tsvector holds < 1 MB).
BODY_INDEXED = 100_000
SNIPPET_WORDS = 16
# SQLite: probing the index for one article costs about this many times collecting one
# hit (measured with FTS5 on SQLite 3.40: ~80 us against ~7 us).
_PROBE_COST = 12
# sort=relevance ranks at most this many hits, the most recently stored ones: ranking
# is the one part of a search whose cost grows with its hits (every candidate is
# scored), and a word found in most of a million articles took seconds a page.
RANKED_HITS = 10_000


@dataclass(frozen=True)
class SearchQuery:
    """Terms that must all match, each a list of alternatives (joined by OR), and
    terms that must not match. A term is a phrase: one or more words."""

    required: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]
    text: str


@lru_cache(maxsize=256)
def parse(text: str) -> SearchQuery:
    """The query a client typed; cached, as one list request reads it for the filter, the
    ranking and the snippets."""
    required: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for negated, quoted, bare in _TERM.findall(text):
        if bare and bare.upper() == "OR" and required:
            join_next = True
            continue
        if bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        term = " ".join((quoted or bare).split())
        if not _WORD.search(term):
            continue
        if negated:
            excluded.append(term)
        elif join_next:
            required[-1].append(term)
        else:
            required.append([term])
        join_next = False
    if not required:
        raise Problem(400, "q needs at least one word or phrase to look for (a query of "
                           "exclusions alone would match nearly everything).",
                      kind="invalid-search")
    return SearchQuery(tuple(tuple(group) for group in required), tuple(excluded), text)


def _fts5_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts5_expression(query: SearchQuery) -> str:
    groups = ["(" + " OR ".join(_fts5_phrase(term) for term in group) + ")"
              for group in query.required]
    expression = " AND ".join(groups)
    for term in query.excluded:
        expression = f"({expression}) NOT {_fts5_phrase(term)}"
    return expression


def _pg_document(columns=None, body=None):
    """The searched text, for highlighting: migration 0008's vector is built from it
    (the body's first BODY_INDEXED characters). columns: a subquery's, else Article's;
    body: a part of the body to read instead."""
    headline, summary, whole = ((Article.headline, Article.summary, Article.body)
                                if columns is None else
                                (columns.headline, columns.summary, columns.body))
    blank = SQL("''")
    return (fn.COALESCE(headline, blank).concat(SQL("' '"))
            .concat(fn.COALESCE(summary, blank)).concat(SQL("' '"))
            .concat(fn.COALESCE(fn.LEFT(whole, SQL(str(BODY_INDEXED))) if body is None
                                else body, blank)))


def _pg_vector():
    """The article's stored search vector (migration 0008), weighted for ranking."""
    return Column(Article, "search_vector")


def _pg_query(query: SearchQuery):
    return fn.websearch_to_tsquery(SQL("'simple'::regconfig"), query.text)


# SQLite: the FTS5 table and a second view of the article table to join it by rowid.
_FTS = Table("article_fts", ("rowid",)).alias("article_fts")
_ROWS = Table("article", ("rowid", "id")).alias("article_rows")


def _fts5_match(query: SearchQuery):
    return SQL('"article_fts" MATCH ?', [fts5_expression(query)])


def _fts5_matches(query: SearchQuery, *columns):
    return (_ROWS.select(_ROWS.id, *columns)
            .join(_FTS, on=(_FTS.rowid == _ROWS.rowid))
            .where(_fts5_match(query)))


def matching(query: SearchQuery, rows_needed: int | None = None) -> Expression:
    """A condition on Article: it matches the search.

    rows_needed: how many rows the caller needs when it walks the articles in an index's
    order and stops there, meeting no filter off that index (a page in date order). On
    SQLite a search with many hits then probes the full-text index article by article,
    so a common word costs a page's worth of probes instead of collecting its hits from
    the whole collection first. PostgreSQL's planner makes that choice itself, from its
    statistics.
    """
    if not is_sqlite():
        return Expression(_pg_vector(), "@@", _pg_query(query))
    found = _fts5_match(query)
    if rows_needed is not None and _hits_are_many(query, rows_needed):
        return fn.EXISTS(_FTS.select(SQL("1")).where(
            found & (_FTS.rowid == Column(Article, "rowid"))))
    return Column(Article, "rowid").in_(_FTS.select(_FTS.rowid).where(found))


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


PLAN_SECONDS = 60
_MOST_PLANS = 4096
_PLANS = "dateline.search_plans"


def _count_reaches(query: SearchQuery, needed: int) -> bool:
    articles = Source.select(fn.SUM(Source.article_count)).scalar() or 0
    enough = max(needed, math.isqrt(_PROBE_COST * needed * articles))
    hits = _FTS.select(_FTS.rowid).where(_fts5_match(query)).limit(enough)
    return hits.count(Article._meta.database) >= enough


@dataclass(frozen=True)
class RankWindow:
    """The stored articles whose hits relevance ranks, oldest to newest, both ends
    included (FTS5 rowids on SQLite, time-ordered article ids on PostgreSQL); oldest
    None: from the first. A walk keeps its first page's window, so articles stored
    meanwhile neither join it nor push earlier ones out."""

    oldest: int | str | None
    newest: int | str | None


def rank_window(select, query: SearchQuery) -> RankWindow:
    """The window of the RANKED_HITS most recently stored hits among the articles select
    filters (without the search)."""
    if is_sqlite():
        newest = Article.select(fn.MAX(Column(Article, "rowid"))).scalar()
        # Walks the hits newest first, stopping at the window's end: the filters are
        # checked on each hit's row, never on the whole collection.
        hits = select.select(_FTS.rowid).join(
            _FTS, on=(_FTS.rowid == Column(Article, "rowid"))).where(
            _fts5_match(query) & (_FTS.rowid <= newest)).order_by(_FTS.rowid.desc())
    else:
        newest = Article.select(fn.MAX(Article.id)).scalar()
        # The planner weighs walking the id index backwards, testing each row's stored
        # vector (a common word: 10,000 hits in 27 ms at a million articles), against
        # collecting the hits from the GIN index and sorting them (a rare word).
        hits = select.select(Article.id).where(
            matching(query) & (Article.id <= newest)).order_by(Article.id.desc())
    return RankWindow(hits.limit(1).offset(RANKED_HITS - 1).scalar(), newest)


def _bm25():
    """SQLite's relevance: bm25 is lower for better hits; headline counts most, then
    summary, then body."""
    return fn.bm25(SQL("article_fts"), 10.0, 4.0, 1.0) * -1


def current_rank(query: SearchQuery, article_id: str, version: int) -> float | None:
    """The relevance an article has now, or None when it no longer matches or has
    changed since that version.

    bm25 reads the collection's statistics, so every article stored moves every score
    (for one word, all hits alike): a cursor resumes from its article's score of the
    moment rather than the one it wrote down, unless the article itself was edited."""
    if is_sqlite():
        # From the article to the index by rowid, as in snippets().
        score = _FTS.select(_bm25()).where(_fts5_match(query) & (_FTS.rowid == _ROWS.rowid))
        rows = _ROWS.select(score).where((_ROWS.id == article_id)
                                         & (Column(_ROWS, "version") == version))
    else:
        rows = Article.select(_pg_rank(query)).where(
            matching(query) & (Article.id == article_id) & (Article.version == version))
    return next((value for value, in rows.tuples().execute(Article._meta.database)), None)


def ranked(select, query: SearchQuery, window: RankWindow):
    """select (with no search filter of its own), cut to the hits in the window and
    joined to each one's relevance as `rank` (higher is better), with the window's ends
    as `rank_oldest` and `rank_newest`."""
    ends = (Value(window.oldest, converter=False).alias("rank_oldest"),
            Value(window.newest, converter=False).alias("rank_newest"))
    if is_sqlite():
        inside = _FTS.rowid <= window.newest
        if window.oldest is not None:
            inside &= _FTS.rowid >= window.oldest
        scores = _fts5_matches(query, _bm25().alias("rank")).where(inside).alias("hits")
        return select.select_extend(scores.c.rank.alias("rank"), *ends).join(
            scores, on=(scores.c.id == Article.id)), scores.c.rank
    select = select.where(matching(query) & (Article.id <= window.newest))
    if window.oldest is not None:
        select = select.where(Article.id >= window.oldest)
    rank = _pg_rank(query)
    return select.select_extend(rank.alias("rank"), *ends), rank


def _pg_rank(query: SearchQuery):
    """PostgreSQL's relevance, as a double: ts_rank_cd gives a real, which a cursor would
    write down as the nearest short decimal and then compare unequal to itself."""
    return fn.ts_rank_cd(_pg_vector(), _pg_query(query)).cast("double precision")


def snippets(query: SearchQuery, article_ids: list[str]) -> dict[str, str]:
    """A short passage of each article around the words found, hits in <mark>."""
    if not article_ids:
        return {}
    if is_sqlite():
        # From the page's articles to the index, one lookup each: joined the other way,
        # SQLite would walk every hit of the search to find the page's few.
        excerpt = _FTS.select(fn.snippet(SQL("article_fts"), -1, "<mark>", "</mark>", "…",
                                         SNIPPET_WORDS)).where(
            _fts5_match(query) & (_FTS.rowid == _ROWS.rowid))
        rows = _ROWS.select(_ROWS.id, excerpt).where(_ROWS.id.in_(article_ids)).tuples()
        return dict(rows.execute(Article._meta.database))
    # ts_headline reads the whole text it is given (20 bodies of 6 KB: 12 ms): a passage
    # is first sought in the headline, the summary and the stretch of body around the
    # first place the first term's text appears, and in the whole text only where that
    # stretch holds no hit (the text was part of another word, or a form of it).
    options = f"StartSel=<mark>, StopSel=</mark>, MaxWords={SNIPPET_WORDS}, MinWords=6"

    def excerpt(document):
        return fn.ts_headline(SQL("'simple'::regconfig"), document, _pg_query(query), options)
    first = fn.STRPOS(fn.LOWER(Article.body), query.required[0][0].lower())
    stretch = fn.SUBSTR(Article.body, fn.GREATEST(1, first - SNIPPET_STRETCH // 2),
                        SNIPPET_STRETCH)
    opening = (Article.select(Article.id, Article.headline, Article.summary, Article.body,
                              excerpt(_pg_document(body=stretch)).alias("quick"))
               .where(Article.id.in_(article_ids))
               .offset(0)  # a fence: flattened, the CASE below would run it twice
               .alias("opening"))
    found = opening.c.quick
    passage = Case(None, [(fn.STRPOS(found, "<mark>") > 0, found)],
                   excerpt(_pg_document(opening.c)))
    return dict(Article.select(opening.c.id, passage).from_(opening).tuples())


# Characters of a body around a term where PostgreSQL first seeks a passage.
SNIPPET_STRETCH = 600
