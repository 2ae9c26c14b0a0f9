"""Search on PostgreSQL: websearch_to_tsquery against each article's stored,
GIN-indexed search vector (migration 0008), ranked by ts_rank_cd, passages by
ts_headline.
"""

from __future__ import annotations

from peewee import SQL, Case, Column, Expression, fn

from api.reading import search
from api.reading.search import RankWindow, SearchQuery
from api.storage.models import Article

# The body is indexed up to this many characters (a tsvector holds < 1 MB).
BODY_INDEXED = 100_000
# Characters of a body around a term where a passage is first sought.
SNIPPET_STRETCH = 600


def _document(columns=None, body=None):
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


def vector():
    """The article's stored search vector (migration 0008), weighted for ranking."""
    return Column(Article, "search_vector")


def _tsquery(query: SearchQuery):
    return fn.websearch_to_tsquery(SQL("'simple'::regconfig"), query.text)


def matching(query: SearchQuery) -> Expression:
    """A condition on Article: it matches the search."""
    return Expression(vector(), "@@", _tsquery(query))


def matched(select, query: SearchQuery, rows_needed: int | None = None):
    """select, narrowed to the articles that match the search. rows_needed is for SQLite:
    here the planner chooses between walking an index and collecting hits, from its
    statistics."""
    return select.where(matching(query))


def rank_window(select, query: SearchQuery) -> RankWindow:
    """The window of the RANKED_HITS most recently stored hits among the articles select
    filters (without the search), by time-ordered article id."""
    newest = Article.select(Article.id).order_by(Article.id.desc()).limit(1).scalar()
    # The planner weighs walking the id index backwards, testing each row's stored
    # vector (a common word: 10,000 hits in 27 ms at a million articles), against
    # collecting the hits from the GIN index and sorting them (a rare word).
    hits = select.select(Article.id).where(
        matching(query) & (Article.id <= newest)).order_by(Article.id.desc())
    return RankWindow(hits.limit(1).offset(search.RANKED_HITS - 1).scalar(), newest)


def _rank(query: SearchQuery):
    """Relevance as a double: ts_rank_cd gives a real, which a cursor would write down
    as the nearest short decimal and then compare unequal to itself."""
    return fn.ts_rank_cd(vector(), _tsquery(query)).cast("double precision")


def current_rank(query: SearchQuery, article_id: str, version: int) -> float | None:
    """The relevance an article has now, or None when it no longer matches or has
    changed since that version."""
    rows = Article.select(_rank(query)).where(
        matching(query) & (Article.id == article_id) & (Article.version == version))
    return next((value for value, in rows.tuples().execute(Article._meta.database)), None)


def ranked(select, query: SearchQuery, window: RankWindow):
    """select (with no search filter of its own), cut to the hits in the window and
    joined to each one's relevance as `rank` (higher is better), with the window's ends
    as `rank_oldest` and `rank_newest`."""
    select = select.where(matching(query) & (Article.id <= window.newest))
    if window.oldest is not None:
        select = select.where(Article.id >= window.oldest)
    rank = _rank(query)
    return select.select_extend(rank.alias("rank"), *window.columns()), rank


def snippets(query: SearchQuery, article_ids: list[str]) -> dict[str, tuple[int, str | None]]:
    """A short passage of each article around the words found, hits in <mark>, with the
    version of the article it was read from."""
    if not article_ids:
        return {}
    # ts_headline reads the whole text it is given (20 bodies of 6 KB: 12 ms): a passage
    # is first sought in the headline, the summary and the stretch of body around the
    # first place the first term's text appears, and in the whole text only where that
    # stretch holds no hit (the text was part of another word, or a form of it).
    options = (f"StartSel=<mark>, StopSel=</mark>, MaxWords={search.SNIPPET_WORDS}, "
               "MinWords=6")

    def excerpt(document):
        return fn.ts_headline(SQL("'simple'::regconfig"), document, _tsquery(query), options)
    first = fn.STRPOS(fn.LOWER(Article.body), query.required[0][0].lower())
    stretch = fn.SUBSTR(Article.body, fn.GREATEST(1, first - SNIPPET_STRETCH // 2),
                        SNIPPET_STRETCH)
    opening = (Article.select(Article.id, Article.version, Article.headline, Article.summary,
                              Article.body, excerpt(_document(body=stretch)).alias("quick"))
               .where(Article.id.in_(article_ids))
               .offset(0)  # a fence: flattened, the CASE below would run it twice
               .alias("opening"))
    found = opening.c.quick
    passage = Case(None, [(fn.STRPOS(found, "<mark>") > 0, found)],
                   excerpt(_document(opening.c)))
    rows = Article.select(opening.c.id, opening.c.version, passage).from_(opening).tuples()
    return {article_id: (version, text) for article_id, version, text in rows}
