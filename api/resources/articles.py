"""/articles and /sources/{domain}/articles/{external_id}: the article resource."""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from flask.views import MethodView

from api.errors import Problem
from api.reading.listing import count_articles, facet_counts, list_articles, page_etag
from api.reading.pagination import link_header
from api.storage import bands
from api.storage.models import Article, ArticleMinHash, drop_extracted
from api.text import similarity
from api.web import idempotency
from api.web.http import (
    JSON,
    NDJSON,
    PLAIN_TEXT,
    Blueprint,
    consumes,
    load_merge_patch,
    next_page_url,
    produces,
    request_json,
    request_preconditions,
)
from api.web.ingest import RAW_EXAMPLE, article_body, article_from_request, article_from_text
from api.web.negotiation import (
    ITEM_TYPES,
    LD_JSON,
    LIST_TYPES,
    NINJS,
    REPRESENTATION_TAGS,
    negotiated,
    represent,
    represent_list,
    stream_ndjson,
)
from api.web.spec import (
    CONDITIONAL_READ,
    CONDITIONAL_WRITE,
    ETAG_HEADER,
    LINK_HEADER,
    LOCATION_HEADER,
    PAGE_ETAG_HEADER,
    TOTAL_HEADER,
    merge_patch_body,
)
from api.writing import store
from api.writing.preconditions import article_etag, etag_matches
from schemas.article import (
    EXAMPLE,
    READ_ONLY_FIELDS,
    STORED_EXAMPLE,
    ArticleByKeyInputSchema,
    ArticleInputSchema,
    ArticlePageSchema,
    ArticleQuerySchema,
    ArticleSchema,
    ExtractedArticleSchema,
    FacetQuerySchema,
    FacetsSchema,
    SimilarListSchema,
    SimilarQuerySchema,
)

ALTERNATE_REPRESENTATIONS = {200: {"content": {
    LD_JSON: {"schema": {"type": "object", "description": "schema.org NewsArticle (JSON-LD)."}},
    NINJS: {"schema": {"type": "object", "description": "IPTC ninjs 2.2 document."}},
}}}
ALTERNATE_LIST_REPRESENTATIONS = {200: {"content": {
    LD_JSON: {"schema": {"type": "object",
                         "description": "schema.org ItemList of NewsArticles (JSON-LD)."}},
    NINJS: {"schema": {"type": "array", "items": {"type": "object"},
                       "description": "IPTC ninjs 2.2 documents."}},
    NDJSON: {"schema": {"type": "string",
                        "description": "Every matching article, one JSON document per line, "
                                       "without pagination."}},
}}}

blp = Blueprint("articles", __name__, description="News articles and their metadata.")

# Rows fetched per query while streaming a whole list as NDJSON.
STREAM_PAGE = 500

# Made once: a schema copies its fields when it is built (5% of a merge-patch in a
# profile); dumping and loading keep no state on it.
_WRITABLE = ArticleSchema(exclude=READ_ONLY_FIELDS)
_INPUT = ArticleInputSchema()


def _headers(article: Article, **extra) -> dict:
    return {"ETag": article_etag(article), **extra}


def _conditional_get(article: Article):
    """The article in the representation Accept asks for, or 304 if the client has it."""
    kind = negotiated(ITEM_TYPES)
    etag = article_etag(article, *REPRESENTATION_TAGS.get(kind, ()))
    headers = {"ETag": etag, "Vary": "Accept"}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers=headers)
    if kind == JSON:
        return article, 200, headers
    return represent(ArticleSchema().dump(article), kind, headers=headers)


def writable_fields(article: Article) -> dict:
    """The article as a client would PUT it: the base a merge patch applies to."""
    return drop_extracted(_WRITABLE.dump(article),
                          article.entity_basis)


def similar_articles(article_id: str, limit: int) -> list[dict]:
    """Articles sharing an LSH band with this one, scored by their MinHash agreement."""
    mine = ArticleMinHash.get_or_none(ArticleMinHash.article == article_id)
    if mine is None:
        return []
    own = similarity.decode(mine.signature)
    found = list(bands.candidates(similarity.buckets(own), article_id, 1000))
    scores = similarity.similarities(own, [signature for _, signature in found])
    scored = [{"id": other, "score": round(float(score), 4)}
              for (other, _), score in zip(found, scores, strict=True)
              if score >= similarity.SIMILARITY_THRESHOLD]
    return sorted(scored, key=lambda item: (-item["score"], item["id"]))[:limit]


@blp.route("/articles")
class Articles(MethodView):
    @produces(*LIST_TYPES)
    @blp.doc(responses=ALTERNATE_LIST_REPRESENTATIONS, parameters=CONDITIONAL_READ)
    @blp.arguments(ArticleQuerySchema, location="query", error_status_code=400)
    @blp.response(200, ArticlePageSchema, headers=LINK_HEADER | TOTAL_HEADER | PAGE_ETAG_HEADER,
                  example={"items": [STORED_EXAMPLE], "next": None})
    @blp.alt_response(304, description="Not modified: If-None-Match names this page.")
    def get(self, query):
        """List or search articles, newest first unless sorted otherwise"""
        kind = negotiated(LIST_TYPES)
        if kind == NDJSON:
            pages = {**query, "limit": STREAM_PAGE}
            return stream_ndjson(lambda after: list_articles(pages, after=after))
        items, cursor = list_articles(query)
        next_url = next_page_url(cursor)
        total = count_articles(query)
        etag = page_etag(items, next_url, total, *REPRESENTATION_TAGS.get(kind, ()),
                         *query.get("only", ()))
        headers = link_header(next_url) | {"Vary": "Accept", "ETag": etag}
        if etag_matches(request.headers.get("If-None-Match"), etag):
            return Response(status=304, headers=headers)
        if total is not None:
            headers["X-Total-Count"] = str(total)
        page = {"items": items, "next": next_url}
        if total is not None:
            page["total"] = total
        if kind != JSON:
            return represent_list(ArticleSchema(many=True).dump(items), kind, headers=headers)
        if "only" in query:
            # Sparse: dumped here, as the page schema would fill in every field.
            only = {"id", *query["only"]}
            page["items"] = ArticleSchema(many=True, only=only).dump(items)
            return jsonify(page), 200, headers
        return page, 200, headers

    @consumes(JSON, PLAIN_TEXT)
    @idempotency.idempotent
    @blp.doc(parameters=[idempotency.PARAMETER], requestBody=article_body(EXAMPLE))
    @blp.response(201, ArticleSchema, headers=LOCATION_HEADER | ETAG_HEADER,
                  example=STORED_EXAMPLE)
    @blp.alt_response(409, response="CONFLICT",
                      description="Another article has this source and external_id, or url.")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        """Create an article from JSON or from a raw news item (text/plain)"""
        article = store.create_article(article_from_request())
        location = url_for("articles.ArticleItem", article_id=article.id)
        return article, 201, _headers(article, Location=location)


@blp.route("/articles/facets")
class ArticleFacets(MethodView):
    @blp.arguments(FacetQuerySchema, location="query", error_status_code=400)
    @blp.response(200, FacetsSchema)
    def get(self, query):
        """Count the most frequent tags, sources, people… among the articles a filter selects"""
        return {"facets": facet_counts(query)}


@blp.route("/extract")
class Extraction(MethodView):
    @consumes(PLAIN_TEXT)
    @blp.doc(requestBody={"required": True, "content": {PLAIN_TEXT: {
        "schema": {"type": "string", "minLength": 1}, "example": RAW_EXAMPLE}}})
    @blp.response(200, ExtractedArticleSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        """Extract an article from a raw news item without storing it"""
        return store.preview(article_from_text(request.get_data(cache=True)))


def _article_read(view):
    """What the two ways of fetching an article share: negotiation and documentation."""
    decorators = [
        produces(*ITEM_TYPES),
        blp.doc(parameters=CONDITIONAL_READ, responses=ALTERNATE_REPRESENTATIONS),
        blp.response(200, ArticleSchema, headers=ETAG_HEADER, example=STORED_EXAMPLE),
        blp.alt_response(304, description="Not modified: If-None-Match names this version."),
        blp.alt_response(404, response="NOT_FOUND"),
        blp.alt_response(410, response="GONE", description="The article was deleted or purged."),
    ]
    for decorate in reversed(decorators):
        view = decorate(view)
    return view


@blp.route("/articles/<uuid:article_id>")
class ArticleItem(MethodView):
    @_article_read
    def get(self, article_id):
        """Fetch an article"""
        return _conditional_get(store.live_article(str(article_id)))

    @blp.doc(parameters=CONDITIONAL_WRITE)
    @blp.arguments(ArticleInputSchema, example=EXAMPLE)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER, example=STORED_EXAMPLE)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description="The article was deleted or purged.")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def put(self, data, article_id):
        """Replace an article"""
        article = store.modify_article(str(article_id), request_preconditions(), lambda _: data)
        return article, 200, _headers(article)

    @blp.doc(parameters=CONDITIONAL_WRITE, requestBody=merge_patch_body(ArticleInputSchema))
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER, example=STORED_EXAMPLE)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description="The article was deleted or purged.")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, article_id):
        """Change some fields of an article (JSON Merge Patch)"""
        patch = request_json()

        def patched(article):
            return load_merge_patch(_INPUT, writable_fields(article), patch)

        article = store.modify_article(str(article_id), request_preconditions(), patched)
        return article, 200, _headers(article)

    @blp.doc(parameters=CONDITIONAL_WRITE)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description="The article was deleted or purged.")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def delete(self, article_id):
        """Delete an article"""
        store.delete_article(str(article_id), request_preconditions())
        return "", 204


@blp.route("/sources/<domain:domain>/articles/<external_id:external_id>")
class ArticleByKey(MethodView):
    @_article_read
    def get(self, domain, external_id):
        """Fetch an article by its source's own ID"""
        article = store.find_by_key(domain, external_id)
        if article is None:
            raise store.missing_by_key(domain, external_id)
        return _conditional_get(article)

    @blp.doc(parameters=CONDITIONAL_WRITE)
    @blp.arguments(ArticleByKeyInputSchema, example=EXAMPLE)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER,
                  description="Replaced the article with this key.")
    @blp.alt_response(201, schema=ArticleSchema, headers=LOCATION_HEADER | ETAG_HEADER,
                      description="Created the article with this key.", success=True)
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def put(self, data, domain, external_id):
        """Create or replace an article by its source's own ID"""
        mismatched = [{"pointer": f"/{name}", "detail": f"Must match the path: {expected!r}."}
                      for name, expected in (("source", domain), ("external_id", external_id))
                      if data.get(name) not in (None, expected)]
        if mismatched:
            raise Problem(422, "The body names another article than the path.",
                          kind="validation-error", errors=mismatched)
        data = data | {"source": domain, "external_id": external_id}
        article, created = store.put_by_key(domain, external_id, data, request_preconditions())
        if created:
            location = url_for("articles.ArticleItem", article_id=article.id)
            return article, 201, _headers(article, Location=location)
        return article, 200, _headers(article)



@blp.route("/articles/<uuid:article_id>/similar")
class SimilarArticles(MethodView):
    @blp.arguments(SimilarQuerySchema, location="query", error_status_code=400)
    @blp.response(200, SimilarListSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description="The article was deleted or purged.")
    def get(self, query, article_id):
        """List near-duplicates of an article, most similar first"""
        article = store.live_article(str(article_id))
        return {"items": similar_articles(article.id, query["limit"])}
