"""Content negotiation for articles: native JSON, schema.org JSON-LD, IPTC ninjs, NDJSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Response, jsonify, request, stream_with_context

from api.web.http import JSON, NDJSON
from api.web.representations import to_ninjs, to_schema_org
from schemas.article import ArticleSchema

LD_JSON = "application/ld+json"
NINJS = "application/vnd.iptc.ninjs+json"
ITEM_TYPES = (JSON, LD_JSON, NINJS)
LIST_TYPES = (JSON, LD_JSON, NINJS, NDJSON)
# Each representation of one version gets its own strong ETag.
REPRESENTATION_TAGS = {LD_JSON: ("ld",), NINJS: ("ninjs",)}
_CONVERTERS = {LD_JSON: to_schema_org, NINJS: to_ninjs}


def negotiated(offered: tuple[str, ...]) -> str:
    """The offered type Accept prefers (the 406 for none was raised before the view)."""
    return request.accept_mimetypes.best_match(offered, default=JSON) or JSON


def _base_url() -> str:
    return request.host_url.rstrip("/")


def represent(native: dict, kind: str, headers: dict) -> Response:
    response = jsonify(_CONVERTERS[kind](native, _base_url()))
    response.mimetype = kind
    response.headers.update(headers)
    return response


def represent_list(natives: list[dict], kind: str, headers: dict) -> Response:
    """A page as a JSON-LD ItemList of NewsArticles, or a JSON array of ninjs documents."""
    converted = [_CONVERTERS[kind](native, _base_url()) for native in natives]
    if kind == LD_JSON:
        converted = {"@context": "https://schema.org", "@type": "ItemList",
                     "numberOfItems": len(converted),
                     "itemListElement": [{"@type": "ListItem", "position": number, "item": doc}
                                         for number, doc in enumerate(converted, start=1)]}
    response = jsonify(converted)
    response.mimetype = kind
    response.headers.update(headers)
    return response


def stream_ndjson(next_page: Callable) -> Response:
    """Every article the query selects, one JSON document per line, a page at a time."""
    schema = ArticleSchema()

    def lines():
        after = None
        while True:
            rows, more = next_page(after)
            for article in rows:
                yield json.dumps(schema.dump(article), ensure_ascii=False) + "\n"
            if not rows or more is None:
                return
            after = rows[-1]

    return Response(stream_with_context(lines()), mimetype=NDJSON)
