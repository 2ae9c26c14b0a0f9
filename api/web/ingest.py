"""Articles from raw text: extraction, then the same validation as JSON input."""

from __future__ import annotations

from flask import current_app, request

from api.errors import Problem
from api.storage.models import Source
from api.text.extract import NotAnArticle, extract, resolve_published_at
from api.text.gazetteer import zone_for_domain
from api.web.http import PLAIN_TEXT, request_json
from schemas.article import MAX_BODY_CHARS, ArticleInputSchema

# A body at its longest in 4-byte characters, plus room for the header lines.
_MAX_RAW_BYTES = MAX_BODY_CHARS * 4 + 64 * 1024
RAW_EXAMPLE = """\
kayhan.ir

News ID: 92427
Publish Date : 14 July 2021 - 21:46

Militants Say They Hold a Main Frontier Crossing

KABUL (Dispatches) \u2013 Fighters announced on Wednesday that a major crossing was theirs.
Officials in the capital said the assault had been pushed back.
"""

# Made once: a schema copies its fields when it is built (5% of a write's time in a
# profile of merge-patches), and loading keeps no state on it.
_ARTICLE = ArticleInputSchema()


def article_from_text(raw: bytes) -> dict:
    """Validated article fields extracted from a raw item; 422 saying what is missing."""
    if len(raw) > _MAX_RAW_BYTES:
        raise Problem(422, f"A raw news item is at most {_MAX_RAW_BYTES} bytes.",
                      kind="not-an-article")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(422, "The text is not UTF-8.", kind="not-an-article") from None
    try:
        found = extract(text)
    except NotAnArticle as error:
        raise Problem(422, f"Not a news item: {error}", kind="not-an-article",
                      missing=error.missing) from None
    missing = [name for name, key in (("source", "source"), ("published_at", "published"))
               if not found.get(key)]
    if missing:
        raise Problem(422, "Not a news item: no " + " and no ".join(
            {"source": "first line naming the source site",
             "published_at": "publish date in a known layout"}[name] for name in missing)
            + ".", kind="not-an-article", missing=missing)
    zone = Source.select(Source.time_zone).where(Source.domain == found["source"]).scalar()
    try:
        stamp, basis = resolve_published_at(found["published"], zone,
                                            current_app.config["DEFAULT_TIME_ZONE"],
                                            zone_for_domain(found["source"]))
    except ValueError as error:
        raise Problem(422, f"The publish date cannot be placed in time: {error}",
                      kind="not-an-article", missing=["published_at"]) from None
    fields = {name: found[name] for name in ("source", "external_id", "headline", "body",
                                             "dateline") if found.get(name)}
    data = _ARTICLE.load({**fields, "published_at": stamp.isoformat()})
    data["published_at_basis"] = basis
    return data


def article_from_request() -> dict:
    """The request's article: JSON validated by the schema, or raw text extracted."""
    if request.mimetype == PLAIN_TEXT:
        return article_from_text(request.get_data(cache=True))
    return _ARTICLE.load(request_json())


def article_body(example: dict) -> dict:
    """requestBody of the writes that take an article as JSON or as raw text."""
    return {"required": True, "content": {
        "application/json": {"schema": ArticleInputSchema, "example": example},
        PLAIN_TEXT: {"schema": {"type": "string", "minLength": 1,
                                "description": "A raw news item: a line naming the site, "
                                               "News ID and Publish Date lines, the "
                                               "headline, then the body."},
                     "example": RAW_EXAMPLE},
    }}
