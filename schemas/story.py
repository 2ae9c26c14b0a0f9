"""Stories: the articles about one event across sources."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from .article import MAX_PAGE_SIZE, ArticleFilterSchema
from .fields import OffsetDateTime, Text

TOP_NAMES = 5
LISTED_ARTICLES = 100
# Top names and the headline come from this many of a story's newest articles.
SAMPLED = 200


class StoryQuerySchema(ArticleFilterSchema):
    """The article filters: a story is listed when one of its articles matches."""

    class Meta:
        unknown = RAISE
        exclude = ("story",)

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                           metadata={"description": f"Page size, 1 to {MAX_PAGE_SIZE}."})
    cursor = Text(max_length=500, metadata={
        "description": "Opaque position from a previous page's `next` link."})


class NameCountSchema(Schema):
    name = fields.String(required=True, metadata={
        "description": "The name as the story's articles most often write it."})
    articles = fields.Integer(required=True, metadata={
        "description": "How many of the story's articles name it."})


class SourceCountSchema(Schema):
    source = fields.String(required=True)
    articles = fields.Integer(required=True)


class StorySchema(Schema):
    id = fields.String(required=True)
    size = fields.Integer(required=True, metadata={
        "description": "How many live articles the story holds."})
    headline = fields.String(required=True, metadata={
        "description": "A representative headline: that of the article naming most of "
                       "the story's top names (the earliest such article)."})
    first_published_at = OffsetDateTime(required=True)
    last_published_at = OffsetDateTime(required=True, metadata={
        "description": "The newest article's publish time: lists put the newest "
                       "activity first."})
    sources = fields.List(fields.Nested(SourceCountSchema), required=True, metadata={
        "description": "The sources reporting it, most articles first."})
    people = fields.List(fields.Nested(NameCountSchema), required=True, metadata={
        "description": f"The {TOP_NAMES} people most of its articles name (among its "
                       f"{SAMPLED} newest)."})
    places = fields.List(fields.Nested(NameCountSchema), required=True)
    organisations = fields.List(fields.Nested(NameCountSchema), required=True)


class StoryArticleSchema(Schema):
    id = fields.String(required=True)
    source = fields.String(required=True)
    headline = fields.String(required=True)
    url = fields.String(allow_none=True)
    published_at = OffsetDateTime(required=True)


class StoryDetailSchema(StorySchema):
    articles = fields.List(fields.Nested(StoryArticleSchema), required=True, metadata={
        "description": f"Its articles in publish order, the first {LISTED_ARTICLES}; "
                       "articles_url lists them all, with every article filter."})
    articles_url = fields.String(required=True)


class StoryPageSchema(Schema):
    items = fields.List(fields.Nested(StorySchema), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "URL of the next page; null on the last page."})


class AbsorbedStorySchema(Schema):
    id = fields.String(required=True)
    absorbed_into = fields.String(required=True, metadata={
        "description": "The older story that took this one's articles; Location names "
                       "it too."})
