"""The OpenAPI document: flask-smorest builds it from the views; this module
shapes its error responses as problem+json and describes the shared headers."""

from __future__ import annotations

import http

import yaml
from flask import Flask
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from api.errors import PROBLEM_JSON
from api.web.http import JSON, MERGE_PATCH
from schemas.problem import ProblemSchema

API_TITLE = "Dateline"
API_VERSION = "1.0.0"
OPENAPI_VERSION = "3.1.0"
API_DESCRIPTION = """\
Dateline stores and serves metadata about news articles: the publishing site,
its own item ID, the publish time with its original offset, headline, dateline,
body, and the people, places, organisations and agencies each article names.

Every error is an RFC 9457 problem details document (`application/problem+json`).
Lists are paginated with opaque keyset cursors; follow `next` (or the `Link`
header) until it is null.
"""

ETAG_HEADER = {"ETag": {
    "description": "Strong validator of the article's current version; send it back in "
                   "If-Match to make a write conditional.",
    "schema": {"type": "string"}, "example": '"3-0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f"'}}
LOCATION_HEADER = {"Location": {
    "description": "Path of the created resource.",
    "schema": {"type": "string", "format": "uri-reference"}}}
LINK_HEADER = {"Link": {
    "description": 'RFC 8288 link to the next page, rel="next"; absent on the last page.',
    "schema": {"type": "string"}}}

PAGE_ETAG_HEADER = {"ETag": {
    "description": "Weak validator of this page; send it in If-None-Match for a 304 while "
                   "the page is unchanged.", "schema": {"type": "string"}}}

TOTAL_HEADER = {"X-Total-Count": {
    "description": "With count=exact or count=estimated: how many articles the filters select.",
    "schema": {"type": "integer"}}}

CONDITIONAL_READ = [{
    "in": "header", "name": "If-None-Match", "required": False,
    "description": "ETag(s) the client holds; a match answers 304 Not Modified.",
    "schema": {"type": "string"}}]
CONDITIONAL_WRITE = [
    {"in": "header", "name": "If-Match", "required": False,
     "description": "Apply the write only if the article is still at this ETag (else 412).",
     "schema": {"type": "string"}},
    {"in": "header", "name": "If-None-Match", "required": False,
     "description": "'*': apply the write only if the resource does not exist yet (else 412).",
     "schema": {"type": "string"}},
]


_PATCH_EXAMPLE = {"headline": "A corrected headline", "summary": None}


def merge_patch_body(schema_class, example: dict | None = None) -> dict:
    """requestBody for a PATCH that takes JSON Merge Patch (RFC 7396) or plain JSON."""
    description = ("A JSON Merge Patch (RFC 7396): members present replace the stored "
                   "ones, null removes one, nested objects merge. The result must be valid "
                   "as a whole.")
    # A patch names only what changes, so none of the input's required members is
    # required in it; its own component keeps the input's published as it is.
    name = schema_class.__name__.removesuffix("Schema") + "PatchSchema"
    patch = type(name, (schema_class,), {})(partial=True)
    content = {"schema": patch, "example": example or _PATCH_EXAMPLE}
    return {"required": True, "description": description,
            "content": {MERGE_PATCH: content, JSON: content}}


class Api(SmorestApi):
    """flask-smorest's Api, with errors documented as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error, as problem details (RFC 9457).",
                   "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)

    def _register_error_handlers(self):
        """Errors are rendered by api.errors, for the whole app."""


def spec_dict(app: Flask) -> dict:
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


def spec_yaml(app: Flask) -> str:
    return yaml.safe_dump(spec_dict(app), sort_keys=False, allow_unicode=True, width=100)
