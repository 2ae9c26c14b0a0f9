"""Lists of articles: filters, full-text search, sort orders with keyset cursors,
counts and facets. No OFFSET anywhere: a page costs the same at any depth."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from peewee import Tuple, fn

from api.errors import Problem
from api.reading import passages, search
from api.reading.pagination import decode_cursor, encode_cursor, keyset_page
from api.storage.db import database, is_sqlite
from api.storage.models import (
    Article,
    ArticleEntity,
    StoryArticle,
    articles_from,
    keys_only,
    whole_rows,
)
from api.writing import grouping, store
from schemas.article import ArticleFilterSchema
from schemas.fields import parse_rfc3339

# Query parameter -> entity kind in the name index.
NAME_FILTERS = {"tag": "tag", "author": "author", "person": "person", "place": "place",
                "organisation": "organisation", "cited_source": "cited_source",
                "country": "country"}


@dataclass(frozen=True)
class Sort:
    """An order of the list: what it sorts on, its direction, and how a cursor writes
    down a row's position in it."""

    name: str
    field: str  # published_at, updated_at or relevance
    descending: bool

    def key(self, search_rank=None):
        return search_rank if self.field == "relevance" else getattr(Article, self.field)

    def position(self, row: Article) -> list:
        if self.field == "relevance":
            return [row.rank, row.id, row.version, row.rank_oldest, row.rank_newest]
        return [store.utc_stamp(getattr(row, self.field)).isoformat(), row.id]

    def decode(self, values: list) -> tuple[tuple, tuple | None]:
        """The (sort key, id) a position holds; with relevance also the article's
        version and the search's RankWindow."""
        try:
            if self.field == "relevance":
                rank, article_id, version, oldest, newest = values
                return (float(rank), article_id), (int(version),
                                                   search.RankWindow(oldest, newest))
            value, article_id = values
            return (parse_rfc3339(value).utc, article_id), None
        except (TypeError, ValueError) as error:
            # Signed by this service, so only a cursor from an older release gets here.
            raise Problem(400, "The cursor is out of date; start again without it.",
                          kind="invalid-cursor") from error


SORTS = {sort.name: sort for sort in (
    Sort("-published_at", "published_at", True), Sort("published_at", "published_at", False),
    Sort("-updated_at", "updated_at", True), Sort("relevance", "relevance", True))}


def filtered(query: dict, rows_needed: int | None = None, state: str = "live"):
    """The articles the query's filters (and search) select, unordered, unpaged: live
    ones, or with state "deleted" the tombstones, or "any" both. rows_needed: see
    fts5.matched."""
    select = Article.select()
    if state != "any":
        select = select.where(Article.deleted_at.is_null(state == "live"))
    if query.get("q"):
        select = search.engine().matched(select, search.parse(query["q"]), rows_needed)
    if query.get("source"):
        select = select.where(Article.source.in_(query["source"]))
    if query.get("language"):
        select = select.where(Article.language.in_(query["language"]))
    if query.get("external_id"):
        select = select.where(Article.external_id.in_(query["external_id"]))
    for parameter, kind in NAME_FILTERS.items():
        if query.get(parameter):
            named = ArticleEntity.select(ArticleEntity.article).where(
                (ArticleEntity.kind == kind)
                & ArticleEntity.value.in_([store.index_key(name) for name in query[parameter]]))
            # The name index is keyed by publish time too: a window narrows it before
            # articles are read (a year of one person at 200,000 articles: 48 -> 8 ms).
            if "published_after" in query:
                named = named.where(ArticleEntity.published_at >= query["published_after"].utc)
            if "published_before" in query:
                named = named.where(ArticleEntity.published_at < query["published_before"].utc)
            select = select.where(Article.id.in_(named))
    if query.get("story"):
        stories = grouping.resolve_many(set(query["story"]))
        select = select.where(Article.id.in_(StoryArticle.select(StoryArticle.article_id)
                                             .where(StoryArticle.story_id.in_(stories))))
    if "updated_after" in query:
        select = select.where(Article.updated_at >= query["updated_after"].utc)
    if query.get("duplicates", "include") != "include":
        earlier = Article.alias()
        has_earlier_copy = fn.EXISTS(earlier.select(earlier.id).where(
            (earlier.content_hash == Article.content_hash) & (earlier.id < Article.id)
            & earlier.deleted_at.is_null()))
        select = select.where(has_earlier_copy if query["duplicates"] == "only"
                              else ~has_earlier_copy)
    if "published_after" in query:
        select = select.where(Article.published_at >= query["published_after"].utc)
    if "published_before" in query:
        select = select.where(Article.published_at < query["published_before"].utc)
    if query.get("collapse") == "story":
        select = select.where(~fn.EXISTS(_later_in_story(query, state)))
    return select


# Every filter but duplicates, whose default "include" selects everything.
_FILTERS = tuple(name for name in ArticleFilterSchema().fields if name != "duplicates")


def _later_in_story(query: dict, state: str):
    """An article the filters select, published after the outer one, in its story:
    where there is one, collapse=story leaves the outer article out."""
    mine, other = StoryArticle.alias(), StoryArticle.alias()
    later = (other.select(other.article_id)
             .join(mine, on=(other.story_id == mine.story_id))
             .where((mine.article_id == Article.id)
                    & (Tuple(other.published_at, other.article_id)
                       > Tuple(mine.published_at, mine.article_id))))
    if any(query.get(name) for name in _FILTERS) or query.get(
            "duplicates", "include") != "include":
        selected = filtered({**query, "collapse": None}, state=state).select(Article.id)
        later = later.where(other.article_id.in_(selected))
    return later


def count_articles(query: dict) -> int | None:
    """How many articles the filters select: exactly, or PostgreSQL's planner estimate
    (SQLite has none, so there it is exact too); None when not asked for."""
    if query["count"] == "none":
        return None
    select = filtered(query)
    if query["count"] == "estimated" and not is_sqlite():
        sql, params = select.sql()
        plan = database.execute_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()[0]
        return int(plan[0]["Plan"]["Plan Rows"])
    return select.count()


def sort_for(query: dict) -> Sort:
    name = query.get("sort") or ("relevance" if query.get("q") else "-published_at")
    if name == "relevance" and not query.get("q"):
        raise Problem(400, "sort=relevance needs a search (q).", kind="invalid-parameters")
    return SORTS[name]


def _one_name(query: dict) -> tuple[str, str] | None:
    """The (parameter, kind) of the query's only name filter, when it names one value
    (and no collapse, which compares each article with the others the filters select)."""
    if query.get("collapse"):
        return None
    named = [(parameter, kind) for parameter, kind in NAME_FILTERS.items()
             if query.get(parameter)]
    if len(named) == 1 and len(query[named[0][0]]) == 1:
        return named[0]
    return None


def _walk_meets_every_filter(query: dict, sort: Sort) -> bool:
    """Whether a page walks an index that holds every filter but the search (the date
    index, or one of source, language or a name with it): only then does a page cost
    about limit * articles / hits probes (fts5.matched)."""
    if sort.field == "relevance" or query.get("updated_after") is not None or query.get(
            "duplicates", "include") != "include" or query.get("collapse"):
        return False
    narrowing = [name for name in ("source", "language", "external_id", "story",
                                   *NAME_FILTERS) if query.get(name)]
    if sort.field == "updated_at":
        return not narrowing and "published_after" not in query and (
            "published_before" not in query)
    return not narrowing or (len(narrowing) == 1
                             and narrowing[0] not in ("external_id", "story")
                             and len(query[narrowing[0]]) == 1)


def _ordered_source(query: dict, sort: Sort, window: search.RankWindow | None):
    """The select and the two columns a page is ordered by (sort key, then id); window:
    the hits relevance ranks.

    A single name filter in date order walks the name index (kind, value, published_at,
    article) instead: the page then costs the same however common the name is."""
    one_name = _one_name(query) if sort.field == "published_at" else None
    rows_needed = query["limit"] + 1 if _walk_meets_every_filter(query, sort) else None
    if one_name is None:
        if sort.field != "relevance":
            return filtered(query, rows_needed), sort.key(None), Article.id
        # The ranked hits are joined in: a search filter besides would collect every
        # hit of the word first (a million of them for a word in every article).
        select, rank = search.engine().ranked(filtered({**query, "q": None}),
                                              search.parse(query["q"]), window)
        return select, sort.key(rank), Article.id
    parameter, kind = one_name
    select = filtered({**query, parameter: None}, rows_needed).join(
        ArticleEntity, on=(ArticleEntity.article == Article.id)).where(
        (ArticleEntity.kind == kind)
        & (ArticleEntity.value == store.index_key(query[parameter][0])))
    return select, ArticleEntity.published_at, ArticleEntity.article


def _start(query: dict, sort: Sort,
           after: Article | None) -> tuple[tuple | None, search.RankWindow | None]:
    """Where a page starts: the (sort key, id) it lists after, None for the first page;
    and with relevance, the window of hits its walk ranks."""
    if after is not None:
        position, resuming = sort.decode(sort.position(after))
    elif "cursor" in query:
        position, resuming = sort.decode(decode_cursor(query["cursor"], sort.name))
    elif sort.field == "relevance":
        return None, search.engine().rank_window(filtered({**query, "q": None}),
                                                 search.parse(query["q"]))
    else:
        return None, None
    if resuming is None:
        return position, None
    version, window = resuming
    now = search.engine().current_rank(search.parse(query["q"]), position[1], version)
    return (position[0] if now is None else now, position[1]), window


def list_articles(query: dict, after: Article | None = None) -> tuple[list[Article], str | None]:
    """A page of the articles query selects, after the cursor (or the article given), and
    the cursor of the page after it (None on the last)."""
    limit, sort = query["limit"], sort_for(query)
    position, window = _start(query, sort, after)
    select, key, tie = _ordered_source(query, sort, window)
    # A relevance score from the joined hits lands on the article itself.
    if sort.field == "relevance":
        select, rows = keys_only(select), _whole_after_ranking
    else:
        select, rows = whole_rows(select), _whole
    page, more = keyset_page(select, (key, tie), position, sort.descending, limit, rows=rows)
    if query.get("q"):
        passages.mark(page, query["q"])
    if not more:
        return page, None
    return page, encode_cursor(sort.name, sort.position(page[-1]))


def _whole(ordered) -> list[Article]:
    return articles_from(database.execute(ordered))


def _whole_after_ranking(ordered) -> list[Article]:
    """The articles of a page of keys_only() rows, read whole for the page alone, in its
    order. Ranking sorts every hit in its window: carrying forty columns, a body and the
    two annotations of each hit through that sort cost more than the ranking itself.
    The two statements are not one snapshot: when an article of the page was edited or
    deleted in between, the page is read again as one statement, whole rows and all."""
    keys = database.execute(ordered)
    names = [column[0] for column in keys.description]
    found = [dict(zip(names, row, strict=True)) for row in keys]
    ids = [Article.id.python_value(row.pop("id")) for row in found]
    whole = {article.id: article for article in _whole(whole_rows(Article.select().where(
        Article.id.in_(ids) & Article.deleted_at.is_null())))}
    page = []
    for article_id, extra in zip(ids, found, strict=True):
        article = whole.get(article_id)
        if article is None or article.version != extra.pop("version"):
            return _whole(whole_rows(ordered))
        article.__dict__.update(extra)
        page.append(article)
    return page


def page_etag(items: list[Article], next_url: str | None, total: int | None,
              *variant: str) -> str:
    """Weak validator of a list page: which articles, in which versions, and what follows
    (variant: the representation and the fields asked for)."""
    digest = hashlib.sha256(",".join(variant).encode())
    for article in items:
        digest.update(f"{article.id}:{article.version}:{article.duplicate_of}:"
                      f"{article.story_id}\n".encode())
    digest.update(f"{next_url}|{total}".encode())
    return f'W/"{digest.hexdigest()[:32]}"'


def facet_counts(query: dict) -> dict[str, list[dict]]:
    """The most frequent values of each facet among the articles the filters select."""
    ids = filtered(query).select(Article.id)
    limit, counts = query["facet_limit"], {}
    for facet in query["facet"]:
        if facet in NAME_FILTERS:
            value, count = ArticleEntity.value, fn.COUNT(ArticleEntity.article)
            rows = (ArticleEntity.select(value, count).where(
                (ArticleEntity.kind == NAME_FILTERS[facet]) & ArticleEntity.article.in_(ids)))
        else:
            value = Article.source if facet == "source" else Article.language
            count = fn.COUNT(Article.id)
            rows = filtered(query).select(value, count).where(value.is_null(False))
        rows = rows.group_by(value).order_by(count.desc(), value).limit(limit).tuples()
        # Countries are indexed folded like every name; they read as ISO codes.
        shown = str.upper if facet == "country" else str
        counts[facet] = [{"value": shown(name), "count": number} for name, number in rows]
    return counts
