"""Article schemas: what clients send, and what the API returns."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, missing, pre_load, validate

from .fields import (
    CommaList,
    CountryCode,
    Domain,
    HttpUrl,
    LanguageTag,
    OffsetDateTime,
    PlannedDump,
    Text,
    name_list,
    raise_for_read_only,
)

MAX_BODY_CHARS = 2_000_000
PUBLISHED_AT_BASES = ("stated", "source_zone", "inferred_zone", "default_zone")
PUBLISHED_AT_BASIS = (
    "How published_at's offset was found: given with the time (stated), from the "
    "source's time_zone (source_zone), from the zone its country-code domain implies "
    "(inferred_zone: kayhan.ir, Asia/Tehran), or from DATELINE_DEFAULT_TIME_ZONE.")
MAX_PAGE_SIZE = 100

READ_ONLY_FIELDS = frozenset({
    "id", "published_at_basis", "entity_basis", "geo", "word_count", "content_hash",
    "duplicate_of", "story_id", "version", "created_at", "updated_at",
})

EXAMPLE = {
    "source": "kayhan.ir",
    "external_id": "92427",
    "url": "https://kayhan.ir/en/news/92427",
    "headline": "Border crossing changes hands as fighting spreads",
    "summary": "Officials on both sides give conflicting accounts of a frontier post.",
    "body": "Militants said they now hold a key frontier post; officials disputed the claim.",
    "language": "en",
    "published_at": "2021-07-14T21:46:00+04:30",
    "modified_at": None,
    "authors": [],
    "dateline": {"text": "KABUL (Dispatches)", "place": "Kabul", "credit": "Dispatches"},
    "tags": ["afghanistan", "borders"],
    "people": ["Arif Kakar"],
    "places": ["Kabul", "Spin Boldak", "Chaman"],
    "organisations": ["Taliban"],
    "cited_sources": ["Al Jazeera"],
}

STORED_EXAMPLE = {
    **EXAMPLE,
    "id": "0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f",
    "published_at_basis": "stated",
    "entity_basis": {"people": "stated", "places": "stated", "organisations": "stated",
                     "cited_sources": "stated", "extractor": None},
    "geo": {"places": [
        {"name": "Kabul", "kind": "city", "geonames_id": 1138958, "country": "AF",
         "latitude": 34.5281, "longitude": 69.1723},
        {"name": "Chaman", "kind": "city", "geonames_id": 1181611, "country": "PK",
         "latitude": 30.9177, "longitude": 66.4526}],
        "dateline": {"name": "Kabul", "kind": "city", "geonames_id": 1138958,
                     "country": "AF", "latitude": 34.5281, "longitude": 69.1723}},
    "word_count": 12,
    "content_hash": "5d1c0e5e1bd1f0b8d6d4c1f0d0a3c0f9f5e0f8a1c2b3d4e5f60718293a4b5c6d",
    "duplicate_of": None,
    "story_id": "0190b1a4-6f30-7e11-8c2d-4a5b6c7d8e9f",
    "version": 1,
    "created_at": "2026-11-23T10:00:00.000000Z",
    "updated_at": "2026-11-23T10:00:00.000000Z",
}


def entity_list(description: str) -> fields.List:
    return name_list(description + " Left out, it is extracted from the headline and body "
                     "(see entity_basis); sent, even empty, it is stored as sent.",
                     default=missing)


class DatelineSchema(Schema):
    text = Text(max_length=200, allow_none=True, load_default=None,
                metadata={"description": "The dateline as printed.",
                          "example": "KABUL (Dispatches)"})
    place = Text(max_length=200, allow_none=True, load_default=None,
                 metadata={"description": "Where the story was filed.", "example": "Kabul"})
    credit = Text(max_length=200, allow_none=True, load_default=None,
                  metadata={"description": "Who the dateline credits.",
                            "example": "Dispatches"})


class ArticleFieldsSchema(Schema):
    """The fields a client writes; shared by the input and output schemas."""

    source = Domain(required=True, metadata={"description": "The publisher's domain."})
    external_id = Text(max_length=200, allow_none=True, load_default=None,
                       metadata={"description": "The source's own item ID.",
                                 "example": "92427"})
    url = HttpUrl(allow_none=True, load_default=None, metadata={
        "description": "Canonical URL; unique when present.",
        "example": "https://kayhan.ir/en/news/92427"})
    headline = Text(max_length=1000, required=True)
    summary = Text(max_length=10_000, allow_none=True, load_default=None, allow_blank=True)
    body = Text(max_length=MAX_BODY_CHARS, allow_none=True, load_default=None, allow_blank=True,
                metadata={"description": "Plain-text body."})
    language = LanguageTag(allow_none=True, load_default=None)
    published_at = OffsetDateTime(
        required=True,
        metadata={"description": "RFC 3339 with an offset; the offset sent is returned as "
                                 "sent, filters and sorting use the instant."})
    modified_at = OffsetDateTime(allow_none=True, load_default=None,
                                 metadata={"description": "The source's own last-modified time."})
    authors = name_list("Bylines.", max_items=50)
    dateline = fields.Nested(DatelineSchema, allow_none=True, load_default=None)
    tags = name_list("Subject tags.", max_items=100)
    people = entity_list("People the article names.")
    places = entity_list("Places the article names.")
    organisations = entity_list("Organisations the article names.")
    cited_sources = entity_list("News agencies and outlets the text attributes to.")



class ArticleInputSchema(ArticleFieldsSchema):
    """An article as a client writes it. Read-only fields are refused by name."""

    @pre_load
    def refuse_read_only(self, data, **kwargs):
        raise_for_read_only(data, READ_ONLY_FIELDS)
        return data


class ArticleByKeyInputSchema(ArticleInputSchema):
    """An article written at /sources/{domain}/articles/{external_id}: the path names
    it, so source and external_id may be left out (if sent, they must match)."""

    source = Domain(metadata={"description": "Must equal the path's domain if sent."})
    external_id = Text(max_length=200, allow_none=True,
                       metadata={"description": "Must equal the path's external_id if sent."})


class ArticleSchema(PlannedDump, ArticleFieldsSchema):
    """An article as stored, with the fields the server derives."""

    source = Domain(attribute="source_id", required=True)
    id = fields.String(dump_only=True, metadata={
        "description": "Server-assigned, time-ordered UUIDv7.",
        "example": "0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f"})
    published_at = OffsetDateTime(attribute="published_stamp", required=True)
    modified_at = OffsetDateTime(attribute="modified_stamp", allow_none=True)
    dateline = fields.Nested(DatelineSchema, attribute="dateline_parts", allow_none=True)
    published_at_basis = fields.String(dump_only=True, metadata={
        "enum": list(PUBLISHED_AT_BASES),
        "description": PUBLISHED_AT_BASIS})
    entity_basis = fields.Dict(dump_only=True, metadata={
        "description": "Per entity list, whether the client stated it or the server "
                       "extracted it from the text; extractor: the extractor's version "
                       "(null when no list was extracted; \"0\" for lists left empty "
                       "before extraction existed, which `dateline enrich` fills).",
        "example": {"people": "extracted", "places": "extracted",
                    "organisations": "stated", "cited_sources": "extracted",
                    "extractor": "3"}})
    geo = fields.Dict(dump_only=True, metadata={
        "description": "The places and the dateline's place found in the GeoNames "
                       "gazetteer: name as written, kind (country, continent, region, "
                       "admin1, city), geonames_id, ISO 3166-1 country, latitude and "
                       "longitude where known.",
        "example": {"places": [{"name": "Kabul", "kind": "city", "geonames_id": 1138958,
                                "country": "AF", "latitude": 34.5281,
                                "longitude": 69.1723}], "dateline": None}})
    word_count = fields.Integer(dump_only=True)
    content_hash = fields.String(
        dump_only=True, allow_none=True,
        metadata={"description": "sha256 of the body after NFKC, case folding and "
                                 "whitespace folding; null without a body."})
    duplicate_of = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The first stored article with the same content_hash; null for it "
                       "and for articles with a unique body."})
    story_id = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The story (GET /stories/{id}) this article belongs to: the "
                       "articles about the same event across sources. Grouping may move "
                       "it into an older story without a new version; null while the "
                       "article is deleted."})
    version = fields.Integer(dump_only=True,
                             metadata={"description": "Starts at 1; +1 on every change."})
    created_at = OffsetDateTime(dump_only=True)
    updated_at = OffsetDateTime(dump_only=True)
    snippet = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "In search results (q): a short passage around the words found, "
                       "each hit in <mark>…</mark>."})


SORTS = ("-published_at", "published_at", "-updated_at", "relevance")
LISTED_FIELDS = tuple(name for name in ArticleSchema._declared_fields if name != "id")


class ExtractedArticleSchema(ArticleSchema):
    """What a write of a raw item would store, without storing it."""

    class Meta:
        exclude = ("id", "version", "created_at", "updated_at", "duplicate_of", "story_id",
                   "snippet")


class ArticleListItemSchema(ArticleSchema):
    """An article in a list: with `fields`, only the fields asked for."""


class ArticlePageSchema(Schema):
    items = fields.List(fields.Nested(ArticleListItemSchema(partial=True)), required=True)
    total = fields.Integer(metadata={
        "description": "With count=exact or count=estimated: how many articles the filters "
                       "select (estimated comes from PostgreSQL's planner; on SQLite it is "
                       "exact)."})
    next = fields.String(
        required=True, allow_none=True,
        metadata={"description": "URL of the next page; null on the last page."})


def name_filter(what: str) -> CommaList:
    return CommaList(Text(max_length=200), validate=validate.Length(max=50), metadata={
        "description": f"{what}, matched ignoring case (Unicode case folding, NFKC)."})


class ArticleFilterSchema(Schema):
    """Filters shared by lists and facets. Filters combine with AND; the values of
    one filter, repeated or comma-separated, combine with OR."""

    class Meta:
        unknown = RAISE

    q = Text(max_length=500, metadata={
        "description": "Full-text search in headline, summary and body: words (all must "
                       "match), \"quoted phrases\", OR between two terms, -word to exclude. "
                       "Case is ignored.", "example": "border \"Spin Boldak\""})
    source = CommaList(Domain(), validate=validate.Length(max=50),
                       metadata={"description": "Source domains."})
    external_id = CommaList(Text(max_length=200), validate=validate.Length(max=50),
                            metadata={"description": "The sources' own item IDs."})
    tag = name_filter("Tags")
    author = name_filter("Bylines")
    person = name_filter("People named")
    place = name_filter("Places named")
    organisation = name_filter("Organisations named")
    cited_source = name_filter("Agencies and outlets cited")
    country = CommaList(
        CountryCode(), validate=validate.Length(max=50), metadata={
            "description": "ISO 3166-1 alpha-2 codes of the countries the article's places "
                           "(and dateline place) are in, by the GeoNames gazetteer."})
    language = CommaList(LanguageTag(), validate=validate.Length(max=20))
    duplicates = fields.String(
        load_default="include", validate=validate.OneOf(["include", "exclude", "only"]),
        metadata={"description": "Articles whose body repeats an earlier one's: include "
                                 "them, exclude them, or list only them."})
    story = CommaList(Text(max_length=36), validate=validate.Length(max=50), metadata={
        "description": "Stories (GET /stories) the articles belong to; an id a story "
                       "absorbed since still selects its articles."})
    published_after = OffsetDateTime(metadata={"description": "Inclusive lower bound."})
    published_before = OffsetDateTime(metadata={"description": "Exclusive upper bound."})
    updated_after = OffsetDateTime(metadata={
        "description": "Changed at or after this instant (inclusive)."})


class ArticleQuerySchema(ArticleFilterSchema):
    """Filters, search, order and paging for GET /articles."""

    sort = fields.String(validate=validate.OneOf(SORTS), metadata={
        "description": "-published_at (default), published_at, -updated_at, or relevance "
                       "(the default with q: ranks the 10,000 most recently stored hits "
                       "among those the filters select; later pages rank the same set). "
                       "Ties are broken by id in the same direction."})
    only = CommaList(fields.String(validate=validate.OneOf(LISTED_FIELDS)),
                     data_key="fields", validate=validate.Length(min=1, max=len(LISTED_FIELDS)),
                     metadata={"description": "Return only these fields of each article "
                                              "(id always comes too)."})
    collapse = fields.String(validate=validate.OneOf(["story"]), metadata={
        "description": "story: of each story, only the most recently published article "
                       "the filters select (articles in no story are kept)."})
    count = fields.String(load_default="none",
                          validate=validate.OneOf(["none", "exact", "estimated"]),
                          metadata={"description": "Report the number of matching articles "
                                                   "as total and X-Total-Count."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                           metadata={"description": f"Page size, 1 to {MAX_PAGE_SIZE}."})
    cursor = Text(max_length=500, metadata={
        "description": "Opaque position from a previous page's `next` link."})


FACETS = ("source", "language", "tag", "author", "person", "place", "organisation",
          "cited_source", "country")


class FacetQuerySchema(ArticleFilterSchema):
    facet = CommaList(fields.String(validate=validate.OneOf(FACETS)), required=True,
                      validate=validate.Length(min=1, max=len(FACETS)),
                      metadata={"description": "What to count: " + ", ".join(FACETS) + "."})
    facet_limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100),
                                 metadata={"description": "Top values per facet, 1 to 100."})


class FacetValueSchema(Schema):
    value = fields.String(required=True, metadata={
        "description": "The value; for names, as the filters match it (case-folded)."})
    count = fields.Integer(required=True)


class FacetsSchema(Schema):
    facets = fields.Dict(keys=fields.String(), values=fields.List(
        fields.Nested(FacetValueSchema)), required=True)


class SimilarArticleSchema(Schema):
    id = fields.String(required=True)
    score = fields.Float(required=True, metadata={
        "description": "Estimated Jaccard similarity of the two bodies' 5-word shingles."})


class SimilarListSchema(Schema):
    items = fields.List(fields.Nested(SimilarArticleSchema), required=True)


class SimilarQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
