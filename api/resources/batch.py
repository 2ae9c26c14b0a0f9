"""POST /articles/batch: many articles in one request, each judged on its own."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields

from api.errors import Problem
from api.web import idempotency
from api.web.http import (
    JSON,
    NDJSON,
    Blueprint,
    consumes,
    item_preconditions,
    parse_json,
    request_json,
)
from api.writing.bulk import STATUSES, write_batch
from schemas.article import EXAMPLE
from schemas.problem import FieldErrorSchema

blp = Blueprint("batch", __name__, description="Writing many articles in one request.")

MAX_ITEMS = 1000


class BatchResultSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "Position in the request."})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    id = fields.String(required=True, allow_none=True)
    errors = fields.List(fields.Nested(FieldErrorSchema), required=True)


class BatchCountsSchema(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rejected = fields.Integer(required=True)


class BatchResponseSchema(Schema):
    results = fields.List(fields.Nested(BatchResultSchema), required=True)
    counts = fields.Nested(BatchCountsSchema, required=True)


def read_items() -> list:
    """The request's items: parsed values, or the Problem that makes one unreadable."""
    if request.mimetype == NDJSON:
        # Split on newline bytes only: U+2028 and friends may stand inside JSON strings.
        items = []
        for line in request.get_data(cache=True).split(b"\n"):
            if line.strip():
                try:
                    items.append(parse_json(line))
                except Problem as problem:
                    items.append(problem)
    else:
        items = request_json()
        if not isinstance(items, list):
            raise Problem(422, "A batch is a JSON array of articles (or NDJSON).",
                          kind="validation-error")
    if len(items) > MAX_ITEMS:
        raise Problem(422, f"A batch holds at most {MAX_ITEMS} articles; this one has "
                           f"{len(items)}.", kind="batch-too-large")
    return items


_BODY = {
    "required": True,
    "description": f"Up to {MAX_ITEMS} articles, as a JSON array or as NDJSON (one article "
                   "per line; a malformed line rejects that item only). Each is keyed on "
                   "(source, external_id), else url, else (with neither) its source, "
                   "body, headline and publish time: created if new, updated if different, "
                   "unchanged if identical.",
    "content": {
        # Items are judged one by one (an invalid one is rejected in the results, not
        # the request), so the request schema accepts any item.
        JSON: {"schema": {"type": "array", "maxItems": MAX_ITEMS, "items": {
                   "description": "An article as in ArticleInput."}},
               "example": [EXAMPLE]},
        NDJSON: {"schema": {"type": "string"}},
    },
}


@blp.route("/articles/batch")
class ArticleBatch(MethodView):
    @consumes(JSON, NDJSON)
    @idempotency.idempotent
    @blp.doc(requestBody=_BODY, parameters=[idempotency.PARAMETER])
    @blp.response(200, BatchResponseSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        """Create, update or keep up to 1000 articles, each on its own"""
        return write_batch(read_items(), item_preconditions())
