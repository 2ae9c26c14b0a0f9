"""Timelines: how many articles a filter selects, per hour, day, week or month."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .article import ArticleFilterSchema
from .fields import TimeZoneName

INTERVALS = ("hour", "day", "week", "month")
MAX_BUCKETS = 10_000


class HistogramQuerySchema(ArticleFilterSchema):
    interval = fields.String(required=True, validate=validate.OneOf(INTERVALS), metadata={
        "description": "Bucket size: hour, day, week (from Monday) or month, in `tz`."})
    tz = TimeZoneName(load_default="UTC", metadata={
        "description": "IANA time zone whose calendar cuts the buckets (across its DST "
                       "changes a day is 23 or 25 hours long).", "example": "Asia/Tehran"})


class BucketSchema(Schema):
    start = fields.String(required=True, metadata={
        "format": "date-time", "description": "The bucket's first instant, in `tz`."})
    count = fields.Integer(required=True)


class HistogramSchema(Schema):
    interval = fields.String(required=True, metadata={"enum": list(INTERVALS)})
    tz = fields.String(required=True)
    total = fields.Integer(required=True, metadata={
        "description": "Articles in all buckets together."})
    buckets = fields.List(fields.Nested(BucketSchema), required=True, metadata={
        "description": f"Oldest first, empty ones included, at most {MAX_BUCKETS}: from "
                       "the bucket holding published_after (else the oldest article "
                       "selected) to the one holding the instant before published_before "
                       "(else the newest)."})
