"""A legal takedown: why an article is purged, and what is kept of it."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from .fields import OffsetDateTime, Text


class PurgeInputSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(required=True, max_length=2000, metadata={
        "description": "Why the article must be gone: a court order, a correction "
                       "policy… Kept with the record and shown to anyone who asks for "
                       "the article afterwards.",
        "example": "Court order 2026/114, Tehran Province court"})


class PurgeRecordSchema(Schema):
    article_id = fields.String(required=True)
    source = fields.String(required=True)
    external_id = fields.String(required=True, allow_none=True)
    purged_at = OffsetDateTime(required=True)
    purged_by = fields.String(required=True, allow_none=True, metadata={
        "description": "The id of the API key that purged it."})
    reason = fields.String(required=True)
