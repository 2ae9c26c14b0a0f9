"""Revision and change-feed schemas: an article's history, and the collection's."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from .article import MAX_PAGE_SIZE, ArticleSchema, name_filter
from .fields import CommaList, Domain, OffsetDateTime, Text

OPS = ("created", "updated", "deleted", "purged")


class FieldChangeSchema(Schema):
    old = fields.Raw(required=True, allow_none=True)
    new = fields.Raw(required=True, allow_none=True)


class RevisionSchema(Schema):
    version = fields.Integer(required=True, metadata={
        "description": "The version this change produced."})
    op = fields.String(required=True, metadata={
        "enum": list(OPS), "description": "created also marks a deleted article brought back; "
                                           "purged: its text was removed for good (a "
                                           "mirror deletes its copy)."})
    at = OffsetDateTime(required=True)
    key_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The API key that made the change; null for `dateline import` "
                       "and other local tools."})
    changes = fields.Dict(
        keys=fields.String(), values=fields.Nested(FieldChangeSchema), required=True,
        metadata={"description": "Each field this change set, with its old and new value."})


class RevisionPageSchema(Schema):
    items = fields.List(fields.Nested(RevisionSchema), required=True)
    next = fields.String(required=True, allow_none=True)


class RevisionQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    cursor = Text(max_length=500)


class ArticleVersionSchema(ArticleSchema):
    """An article as it was at one version."""

    class Meta:
        exclude = ("duplicate_of", "story_id")


class ChangeSchema(Schema):
    seq = fields.String(required=True, metadata={
        "description": "Opaque position of this change in the feed."})
    id = fields.String(required=True, metadata={"description": "The article's id."})
    op = fields.String(required=True, metadata={"enum": list(OPS)})
    version = fields.Integer(required=True, metadata={
        "description": "The article's version after this change."})
    at = OffsetDateTime(required=True)


class ChangePageSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    last_seq = fields.String(required=True, metadata={
        "description": "Pass as `since` to continue after this page."})


MAX_FEED_PAGE = 1000
# A feed position as the feed writes it (seq, last_seq, an event's id): the feed's
# epoch, then the number of the change. Bare numbers are positions written by releases
# before epochs, read in the current epoch.
POSITION_PATTERN = r"^(?:[0-9a-f]{8}-)?[0-9]{1,18}$"
MAX_WAIT_SECONDS = 60


class ChangeQuerySchema(Schema):
    """Where to start in the change feed, what to include, and how long to wait."""

    class Meta:
        unknown = RAISE

    since = fields.String(validate=validate.Regexp(POSITION_PATTERN, error=(
        "Must be a last_seq or seq this feed returned.")), metadata={
        "description": "Return the changes after this position (a previous `last_seq` or "
                       "`seq`); absent: from the beginning. A position from before the "
                       "database was restored from a backup (another epoch), or past the "
                       "end of the feed, answers 410: resync from the beginning."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_FEED_PAGE),
                           metadata={"description": f"Changes per page, 1 to {MAX_FEED_PAGE}."})
    source = CommaList(Domain(), validate=validate.Length(max=50), metadata={
        "description": "Only changes made while the article was in one of these sources. "
                       "Filtered feeds are for following news; only the unfiltered feed "
                       "rebuilds the collection exactly (an article leaving a filter "
                       "sends no change to it)."})
    tag = name_filter("Only changes to articles that carry one of these tags now")
    feed = fields.String(load_default="normal", validate=validate.OneOf(["normal", "longpoll"]),
                         metadata={"description": "longpoll: when nothing is newer than "
                                                  "`since`, wait up to `timeout` seconds."})
    timeout = fields.Float(load_default=30.0, validate=validate.Range(min=0,
                                                                      max=MAX_WAIT_SECONDS),
                           metadata={"description": "Seconds a long poll, or an event stream, "
                                                    f"stays open (0 to {MAX_WAIT_SECONDS})."})
