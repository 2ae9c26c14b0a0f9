"""/sources: the publishers articles come from."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from api.errors import Problem
from api.reading.pagination import (
    decode_cursor,
    encode_cursor,
    keyset_page,
    link_header,
)
from api.storage.db import database, locked
from api.storage.models import Article, Source
from api.web.http import Blueprint, load_merge_patch, next_page_url, request_json
from api.web.spec import LINK_HEADER, LOCATION_HEADER, merge_patch_body
from api.writing.journal import keep_history
from api.writing.store import utc_now
from schemas.fields import Text
from schemas.source import (
    READ_ONLY_FIELDS,
    SourceByDomainInputSchema,
    SourceInputSchema,
    SourceListSchema,
    SourceSchema,
)

blp = Blueprint("sources", __name__, description="Publishers and their local time zones.")

_ORDER = "domain"


class SourceQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = Text(max_length=500, metadata={
        "description": "Opaque position from a previous page's `next` link."})


def _fields(data: dict) -> dict:
    return {"name": data.get("name"), "time_zone": data.get("time_zone"),
            "language": data.get("language")}


def _matching_path(data: dict, domain: str) -> dict:
    if data.get("domain") not in (None, domain):
        raise Problem(422, "The body names another source than the path.",
                      kind="validation-error",
                      errors=[{"pointer": "/domain",
                               "detail": f"Must match the path: {domain!r}."}])
    return data | {"domain": domain}


def _get_locked(domain: str) -> Source:
    return locked(Source.select().where(Source.domain == domain)).get()


@blp.route("/sources")
class Sources(MethodView):
    @blp.arguments(SourceQuerySchema, location="query", error_status_code=400)
    @blp.response(200, SourceListSchema, headers=LINK_HEADER)
    def get(self, query):
        """List sources by domain"""
        after = decode_cursor(query["cursor"], _ORDER) if "cursor" in query else None
        rows, more = keyset_page(Source.select(), (Source.domain,), after, False,
                                 query["limit"])
        next_url = next_page_url(encode_cursor(_ORDER, [rows[-1].domain])) if more else None
        return {"items": rows, "next": next_url}, 200, link_header(next_url)

    @blp.arguments(SourceInputSchema)
    @blp.response(201, SourceSchema, headers=LOCATION_HEADER)
    @blp.alt_response(409, response="CONFLICT", description="The source exists already.")
    def post(self, data):
        """Register a source"""
        with database.atomic():
            if Source.select().where(Source.domain == data["domain"]).exists():
                existing = url_for("sources.SourceItem", domain=data["domain"])
                raise Problem(409, f"Source {data['domain']} exists already.",
                              kind="duplicate-source", existing=existing)
            now = utc_now()
            source = Source.create(domain=data["domain"], created_at=now, updated_at=now,
                                   **_fields(data))
        return source, 201, {"Location": url_for("sources.SourceItem", domain=source.domain)}


@blp.route("/sources/<domain:domain>")
class SourceItem(MethodView):
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, domain):
        """Fetch a source"""
        return Source.get_by_id(domain)

    @blp.arguments(SourceByDomainInputSchema)
    @blp.response(200, SourceSchema, description="Replaced the source.")
    @blp.alt_response(201, schema=SourceSchema, headers=LOCATION_HEADER, success=True,
                      description="Created the source.")
    def put(self, data, domain):
        """Create or replace a source"""
        data = _matching_path(data, domain)
        with database.atomic():
            now = utc_now()
            if locked(Source.select().where(Source.domain == domain)).exists():
                Source.update(updated_at=now, **_fields(data)).where(
                    Source.domain == domain).execute()
                return Source.get_by_id(domain), 200
            source = Source.create(domain=domain, created_at=now, updated_at=now, **_fields(data))
        return source, 201, {"Location": url_for("sources.SourceItem", domain=domain)}

    @blp.doc(requestBody=merge_patch_body(SourceInputSchema))
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, domain):
        """Change some fields of a source (JSON Merge Patch)"""
        patch = request_json()
        with database.atomic():
            source = _get_locked(domain)
            current = SourceSchema(exclude=READ_ONLY_FIELDS).dump(source)
            data = _matching_path(load_merge_patch(SourceInputSchema(), current, patch), domain)
            Source.update(updated_at=utc_now(), **_fields(data)).where(
                Source.domain == domain).execute()
        return Source.get_by_id(domain)

    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="The source still has articles.")
    def delete(self, domain):
        """Delete a source that has no articles"""
        with database.atomic():
            # Articles before their source, the order every article writer locks in,
            # so a concurrent revival cannot deadlock with this delete.
            list(locked(Article.select(Article.id).where(Article.source == domain)))
            source = _get_locked(domain)
            if Article.select().where((Article.source == domain)
                                      & Article.deleted_at.is_null()).exists():
                raise Problem(409, f"{domain} still has {source.article_count} article(s); "
                                   "delete them first.", kind="source-in-use")
            # Its deleted articles' tombstones go with it; their revisions, and so the
            # change feed, keep every entry.
            keep_history(list(Article.select().where(Article.source == domain)))
            Article.delete().where(Article.source == domain).execute()
            source.delete_instance()
        return "", 204
