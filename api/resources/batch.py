"""POST /articles/batch: many articles in one request, each judged on its own."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import request
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields
from peewee import IntegrityError, OperationalError

from api.errors import Problem, field_errors
from api.web import idempotency
from api.web.http import JSON, NDJSON, Blueprint, consumes, parse_json, request_json
from api.writing import store
from api.writing.bulk import upsert_many, write_order
from api.writing.journal import writing
from api.writing.preconditions import Preconditions
from schemas.article import EXAMPLE, ArticleInputSchema
from schemas.problem import FieldErrorSchema

blp = Blueprint("batch", __name__, description="Writing many articles in one request.")

MAX_ITEMS = 1000
STATUSES = ("created", "updated", "unchanged", "rejected")


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


def _rejected(index: int, errors: list[dict]) -> dict:
    return {"index": index, "status": "rejected", "id": None, "errors": errors}


@dataclass(frozen=True)
class Prepared:
    """An item already validated (e.g. extracted from raw text), with what its write
    derives when that has been worked out."""

    data: dict
    derived: store.Derived | None = None


@dataclass(frozen=True)
class Rejected:
    """An item refused before writing, with the errors saying why."""

    errors: list[dict]

    @classmethod
    def unreadable(cls, problem: Problem) -> Rejected:
        return cls([{"pointer": "/", "detail": problem.detail}])


def prepare(items: list) -> list[Prepared | Rejected]:
    """Validate items and derive their stored fields. Needs no database, so it can run in
    a worker process.

    An item is a raw JSON value, a Prepared or Rejected one, or the Problem that made it
    unreadable.
    """
    schema = ArticleInputSchema()
    prepared: list[Prepared | Rejected] = []
    for item in items:
        if isinstance(item, Problem):
            item = Rejected.unreadable(item)
        if isinstance(item, Rejected):
            prepared.append(item)
            continue
        try:
            data = item.data if isinstance(item, Prepared) else schema.load(item)
        except ValidationError as error:
            prepared.append(Rejected(field_errors(error.messages)))
            continue
        prepared.append(Prepared(data, store.derive(data)))
    return prepared


def _upsert_each(datas: list[dict], preconditions: Preconditions) -> list:
    """The one-by-one path, each item in its own savepoint, in the shared write order."""
    outcomes: list = [None] * len(datas)
    for index in sorted(range(len(datas)), key=lambda index: write_order(datas[index])):
        try:
            with writing():
                status, article = store.upsert(datas[index], preconditions)
            outcomes[index] = (status, article.id)
        except Problem as problem:
            outcomes[index] = problem
        except (IntegrityError, OperationalError):
            outcomes[index] = Problem(409, "Conflicts with a concurrent write of the same "
                                           "article; send it again.")
    return outcomes


def write_batch(items: list, preconditions: Preconditions) -> dict:
    """Validate every item, then upsert the valid ones in one transaction.

    An item is a raw JSON value, a Prepared one, or the Problem that made it unreadable.
    """
    return write_prepared(prepare(items), preconditions)


def write_prepared(prepared: list[Prepared | Rejected], preconditions: Preconditions) -> dict:
    """Upsert the items prepare() made in one transaction; the Rejected ones are
    reported."""
    results: list[dict | None] = [None] * len(prepared)
    valid: list[tuple[int, Prepared]] = []
    for index, item in enumerate(prepared):
        if isinstance(item, Prepared):
            valid.append((index, item))
        else:
            results[index] = _rejected(index, item.errors)
    datas = [item.data for _, item in valid]
    derived = [item.derived for _, item in valid]
    with writing():
        try:
            with writing():
                outcomes = upsert_many(datas, preconditions, derived)
        except (IntegrityError, OperationalError):
            # Another writer stored or locked one of these keys meanwhile (a unique-key
            # clash, or PostgreSQL ending a lock wait): judge the items one by one.
            outcomes = _upsert_each(datas, preconditions)
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, Problem):
            errors = outcome.extra.get("errors") or [{"pointer": "/", "detail": outcome.detail}]
            results[index] = _rejected(index, errors)
        else:
            results[index] = {"index": index, "status": outcome[0], "id": outcome[1],
                              "errors": []}
    counts = Counter(result["status"] for result in results)
    return {"results": results, "counts": {status: counts[status] for status in STATUSES}}


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
        return write_batch(read_items(), Preconditions.of_items())
