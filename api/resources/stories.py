"""/stories: the articles about one event across sources (grouped by api/writing/grouping.py)."""

from __future__ import annotations

from collections import Counter, defaultdict

from flask import jsonify, url_for
from flask.views import MethodView
from peewee import fn

from api.errors import Problem
from api.reading.listing import filtered
from api.reading.pagination import (
    decode_cursor,
    encode_cursor,
    keyset_page,
    link_header,
)
from api.storage.models import Article, Story, StoryArticle
from api.web.http import Blueprint, next_page_url
from api.web.spec import LINK_HEADER
from schemas.fields import parse_rfc3339
from schemas.story import (
    LISTED_ARTICLES,
    SAMPLED,
    TOP_NAMES,
    AbsorbedStorySchema,
    StoryDetailSchema,
    StoryPageSchema,
    StoryQuerySchema,
)

blp = Blueprint("stories", __name__, description="Stories: one event across sources.")

_ORDER = "-last_published_at"
_FILTERS = frozenset(StoryQuerySchema().fields) - {"limit", "cursor", "duplicates"}
_NAMED = ("people", "places", "organisations")


def _selected(query: dict):
    """Listed stories: those with a live article, and with one the filters select."""
    select = Story.select().where(Story.absorbed_into.is_null() & (Story.article_count > 0))
    if any(query.get(name) for name in _FILTERS) or query["duplicates"] != "include":
        matching = filtered(query).select(Article.id)
        select = select.where(Story.id.in_(
            StoryArticle.select(StoryArticle.story_id).where(
                StoryArticle.article_id.in_(matching))))
    return select


def list_stories(query: dict) -> tuple[list[dict], str | None]:
    position = None
    if "cursor" in query:
        try:
            stamp, story_id = decode_cursor(query["cursor"], _ORDER)
            position = (parse_rfc3339(stamp).utc, story_id)
        except (TypeError, ValueError) as error:
            raise Problem(400, "The cursor is out of date; start again without it.",
                          kind="invalid-cursor") from error
    stories, more = keyset_page(_selected(query), (Story.last_published_at, Story.id),
                                position, True, query["limit"])
    cursor = None
    if more:
        last = stories[-1]
        cursor = encode_cursor(_ORDER, [last.last_published_at.isoformat() + "Z", last.id])
    return summaries(stories), next_page_url(cursor)


_ARTICLE_COLUMNS = (Article.id, Article.source, Article.headline, Article.url,
                   Article.published_at, Article.published_at_offset,
                   *(getattr(Article, name) for name in _NAMED))


def _in_publish_order(story_id: str, limit: int) -> list[Article]:
    return list(Article.select(*_ARTICLE_COLUMNS)
                .join(StoryArticle, on=(StoryArticle.article_id == Article.id))
                .where(StoryArticle.story_id == story_id)
                .order_by(StoryArticle.published_at, StoryArticle.article_id).limit(limit))


def _newest(story_ids: list[str], per_story: int) -> dict[str, list[Article]]:
    """The per_story newest articles of each story, oldest first, in one query."""
    rank = fn.ROW_NUMBER().over(partition_by=[StoryArticle.story_id],
                                order_by=[StoryArticle.published_at.desc(),
                                          StoryArticle.article_id.desc()])
    newest = (StoryArticle.select(StoryArticle.article_id, StoryArticle.story_id,
                                  rank.alias("rank"))
              .where(StoryArticle.story_id.in_(story_ids)).alias("newest"))
    rows = (Article.select(newest.c.story_id.alias("member_of"), *_ARTICLE_COLUMNS)
            .join(newest, on=(newest.c.article_id == Article.id))
            .where(newest.c.rank <= per_story)
            .order_by(Article.published_at, Article.id).objects())
    found = defaultdict(list)
    for row in rows:
        found[row.member_of].append(row)
    return found


def summaries(stories: list[Story]) -> list[dict]:
    """Each story's size, instants and sources, and its top names and headline as its
    SAMPLED newest articles give them: a story spans at most a week (grouping.MAX_SPAN),
    but a busy week can hold thousands."""
    sources = defaultdict(list)
    if stories:
        counted = (StoryArticle.select(StoryArticle.story_id, Article.source,
                                       fn.COUNT(Article.id))
                   .join(Article, on=(Article.id == StoryArticle.article_id))
                   .where(StoryArticle.story_id.in_([story.id for story in stories]))
                   .group_by(StoryArticle.story_id, Article.source).tuples())
        for story_id, domain, number in counted:
            sources[story_id].append({"source": domain, "articles": number})
    newest = _newest([story.id for story in stories], SAMPLED) if stories else {}
    return [_summary(story, newest.get(story.id, []),
                     sorted(sources[story.id], key=lambda entry: (-entry["articles"],
                                                                  entry["source"])))
            for story in stories]


def _top(articles: list[Article], field: str) -> list[dict]:
    counts, spellings = Counter(), defaultdict(Counter)
    for article in articles:
        seen = {name.casefold(): name for name in getattr(article, field) or []}
        counts.update(seen.keys())
        for folded, name in seen.items():
            spellings[folded][name] += 1
    return [{"name": spellings[folded].most_common(1)[0][0], "articles": number}
            for folded, number in counts.most_common(TOP_NAMES)]


def _summary(story: Story, articles: list[Article], sources: list[dict]) -> dict:
    """articles: its sampled newest, in publish order (max below keeps the earliest)."""
    tops = {field: _top(articles, field) for field in _NAMED}
    top_names = {entry["name"].casefold() for entries in tops.values() for entry in entries}

    def coverage(article: Article) -> int:
        return len(top_names & {name.casefold() for field in _NAMED
                                for name in getattr(article, field) or []})
    leading = max(articles, key=coverage) if articles else None
    return {
        "id": story.id, "size": story.article_count,
        "headline": leading.headline if leading else "",
        "first_published_at": story.first_published_at,
        "last_published_at": story.last_published_at,
        "sources": sources,
        **tops,
    }


def _story(story_id: str) -> Story:
    story = Story.get_or_none(Story.id == story_id)
    if story is None or (story.absorbed_into is None and story.article_count == 0):
        raise Problem(404, f"There is no story {story_id} (a story whose articles were "
                           "all deleted is gone too).", kind="not-found")
    return story


@blp.route("/stories")
class Stories(MethodView):
    @blp.arguments(StoryQuerySchema, location="query", error_status_code=400)
    @blp.response(200, StoryPageSchema, headers=LINK_HEADER)
    def get(self, query):
        """List stories, newest activity first"""
        items, next_url = list_stories(query)
        return {"items": items, "next": next_url}, 200, link_header(next_url)


@blp.route("/stories/<uuid:story_id>")
class StoryItem(MethodView):
    @blp.response(200, StoryDetailSchema)
    @blp.alt_response(301, schema=AbsorbedStorySchema, description=(
        "The story was absorbed into an older one, which Location names."))
    def get(self, story_id):
        """Get a story with its articles"""
        story = _story(str(story_id))
        if story.absorbed_into is not None:
            moved = jsonify(AbsorbedStorySchema().dump(
                {"id": story.id, "absorbed_into": story.absorbed_into}))
            moved.status_code = 301
            moved.headers["Location"] = url_for(".StoryItem", story_id=story.absorbed_into)
            return moved
        summary = summaries([story])[0]
        summary["articles"] = [{"id": article.id, "source": article.source_id,
                                "headline": article.headline, "url": article.url,
                                "published_at": article.published_stamp}
                               for article in _in_publish_order(story.id, LISTED_ARTICLES)]
        summary["articles_url"] = url_for("articles.Articles", story=story.id)
        return summary

