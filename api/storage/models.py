"""Peewee models: what is stored, table by table.

The tables themselves are created and changed by api/storage/migrations, never by
create_tables, so that a database always knows which schema version it holds.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

import orjson
from peewee import (
    BigIntegerField,
    BlobField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    Node,
    TextField,
)

from api.storage.db import database
from api.text import entities
from api.text.entities import place_details
from api.text.gazetteer import zone_for_domain
from schemas.fields import Stamp, fold_name

# The lists the server extracts when a write leaves them out (api/text/entities.py).
ENTITY_FIELDS = entities.FIELDS


def drop_extracted(document: dict, basis: dict) -> dict:
    """A document without the lists its entity_basis marks extracted: written back, it
    leaves them to be extracted again rather than freezing them as stated."""
    for name in ENTITY_FIELDS:
        if basis.get(name) == "extracted":
            document.pop(name, None)
    return document


def legacy_extraction(row: dict) -> dict:
    """A row stored before extraction existed (a version copy from then) read as
    migration 0012 reads those rows: an empty list was left for extraction, version 0."""
    if "extracted_lists" not in row:
        row["extracted_lists"] = sum(1 << bit for bit, name in enumerate(ENTITY_FIELDS)
                                     if row.get(name) in ([], None))
        row["extractor_version"] = 0 if row["extracted_lists"] else None
    return row


# Names of the list fields an article carries, in the order the API shows them.
LIST_FIELDS = ("authors", "tags", "people", "places", "organisations", "cited_sources")


class JSONListField(TextField):
    """A list of strings kept as JSON text, portable across SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(list(value), ensure_ascii=False)

    def python_value(self, value):
        # orjson: six lists an article, 120 on a list page.
        return [] if value is None else orjson.loads(value)


class InstantField(DateTimeField):
    """A naive UTC instant. SQLite hands it back as ISO text, which fromisoformat reads
    at a tenth of the cost of peewee's strptime over several formats (four per article
    row: a list page spent a sixth of its time there)."""

    def python_value(self, value):
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Source(BaseModel):
    domain = CharField(max_length=253, primary_key=True)
    name = CharField(max_length=200, null=True)
    time_zone = CharField(max_length=64, null=True)
    language = CharField(max_length=35, null=True)
    article_count = IntegerField(default=0)
    created_at = InstantField()
    updated_at = InstantField()

    @property
    def inferred_time_zone(self) -> str | None:
        return None if self.time_zone else zone_for_domain(self.domain)


class Article(BaseModel):
    id = CharField(max_length=36, primary_key=True)
    source = ForeignKeyField(Source, column_name="source", field="domain", backref="articles")
    external_id = CharField(max_length=200, null=True)
    url = CharField(max_length=2048, null=True)
    headline = TextField()
    summary = TextField(null=True)
    body = TextField(null=True)
    language = CharField(max_length=35, null=True)
    # Instants are stored in UTC; the offset the client sent is kept beside them.
    published_at = InstantField()
    published_at_offset = CharField(max_length=6)
    modified_at = InstantField(null=True)
    modified_at_offset = CharField(max_length=6, null=True)
    dateline_text = CharField(max_length=200, null=True)
    dateline_place = CharField(max_length=200, null=True)
    dateline_credit = CharField(max_length=200, null=True)
    authors = JSONListField(default=list)
    tags = JSONListField(default=list)
    people = JSONListField(default=list)
    places = JSONListField(default=list)
    organisations = JSONListField(default=list)
    cited_sources = JSONListField(default=list)
    published_at_basis = CharField(max_length=16, default="stated")
    # Which entity lists the server extracted from the text (bit i: ENTITY_FIELDS[i]);
    # the others are as the client stated them. extractor_version names the extractor
    # (0: none ran; such lists were left empty before extraction existed).
    extracted_lists = IntegerField(default=0)
    extractor_version = IntegerField(null=True)
    # The extractor that last read this article's text and refreshed its name index
    # (countries included), whether or not a list changed; not shown. NULL: none has.
    extractor_checked = IntegerField(null=True)
    word_count = IntegerField()
    content_hash = CharField(max_length=64, null=True)
    version = IntegerField()
    created_at = InstantField()
    updated_at = InstantField()
    # Set on DELETE: the row stays as a tombstone (410 Gone), keeping its history.
    deleted_at = InstantField(null=True)

    @property
    def published_stamp(self) -> Stamp:
        return Stamp(self.published_at, self.published_at_offset)

    @property
    def modified_stamp(self) -> Stamp | None:
        if self.modified_at is None:
            return None
        return Stamp(self.modified_at, self.modified_at_offset)

    @property
    def duplicate_of(self) -> str | None:
        """The first stored article with the same body (lowest id), unless it is this one.
        A page's are read with its rows (annotations)."""
        if "_duplicate_of" not in self.__dict__:
            first = None
            if self.content_hash is not None:
                first = database.execute_sql(_first_copy_sql(database.param),
                                             (self.content_hash,)).fetchone()[0]
            self.__dict__["_duplicate_of"] = first if first != self.id else None
        return self.__dict__["_duplicate_of"]

    @property
    def story_id(self) -> str | None:
        """The story grouping put this live article in (api/writing/grouping.py). A page's are read
        with its rows (annotations)."""
        if "_story_id" not in self.__dict__:
            self.__dict__["_story_id"] = (StoryArticle.select(StoryArticle.story_id)
                                          .where(StoryArticle.article_id == self.id)
                                          .scalar())
        return self.__dict__["_story_id"]

    @property
    def entity_basis(self) -> dict:
        basis = {name: "extracted" if self.extracted_lists & (1 << bit) else "stated"
                 for bit, name in enumerate(ENTITY_FIELDS)}
        basis["extractor"] = (None if not self.extracted_lists
                              else str(self.extractor_version))
        return basis

    @property
    def geo(self) -> dict:
        return place_details(tuple(self.places or ()), self.dateline_place)

    @property
    def dateline_parts(self) -> dict | None:
        parts = {"text": self.dateline_text, "place": self.dateline_place,
                 "credit": self.dateline_credit}
        return parts if any(parts.values()) else None


_FIELD_BY_COLUMN = {field.column_name: field for field in Article._meta.sorted_fields}


class _Written(Node):
    """SQL text about an article row, written once per alias the query gives the
    article table (write(alias) makes it): peewee writes its nodes anew on every query,
    and a list page spent a sixth of its time writing Article's forty columns and as
    much again on the two subqueries of annotations()."""

    def __init__(self, write):
        super().__init__()
        self._write = write
        self._texts: dict[str, str] = {}

    def __sql__(self, ctx):
        # The lookup a Column makes: it gives the table its alias if it has none yet.
        alias = ctx.alias_manager[Article._meta.table]
        text = self._texts.get(alias)
        if text is None:
            text = self._texts[alias] = self._write(f'"{alias}"')
        return ctx.literal(text)


_FIRST_COPY, _STORY = "first_copy", "story"

# Article's own columns, in the order peewee selects them.
_OWN_COLUMNS = _Written(lambda article: ", ".join(
    f'{article}."{field.column_name}"' for field in Article._meta.sorted_fields))



def _first_copy(content_hash: str) -> str:
    """duplicate_of's rule as a scalar subquery: the live article with this content hash
    (SQL for it) that has the lowest id, or NULL. By order, not MIN(id): PostgreSQL has
    no MIN of a uuid. Standard SQL that SQLite and PostgreSQL both read."""
    return ('(SELECT "copy"."id" FROM "article" AS "copy"'  # noqa: S608 - SQL, not input
            f' WHERE "copy"."content_hash" = {content_hash} AND "copy"."deleted_at" IS NULL'
            ' ORDER BY "copy"."id" LIMIT 1)')


def _annotation_columns(article: str) -> str:
    first_copy = _first_copy(f'{article}."content_hash"')
    story = ('(SELECT "member"."story_id" FROM "story_article" AS "member"'  # noqa: S608
             f' WHERE "member"."article_id" = {article}."id")')
    return f'{first_copy} AS "{_FIRST_COPY}", {story} AS "{_STORY}"'


_ANNOTATIONS = _Written(_annotation_columns)


def annotations() -> tuple:
    """Columns to select beside Article's that give each row its duplicate_of and its
    story_id (articles_from reads them): worked out per row in the same statement, a
    page costs no query of its own for them."""
    return (_ANNOTATIONS,)


def whole_rows(select):
    """select asking for what articles_from makes whole articles of: Article's own
    columns, whatever else select asks for (a rank), and annotations().
    select reads the article table itself, not an Article.alias(): the text names the
    alias peewee gives the table (t1, t2…), which the subqueries' own aliases are not."""
    extra = [node for node in select._returning if id(node) not in _OWN_FIELDS]
    return select.select(_OWN_COLUMNS, *extra, *annotations())


def keys_only(select):
    """select asking for each article's id and version and whatever else it asks for
    beyond Article's columns (a rank), without the columns and annotations whole_rows()
    adds: what a page in an order no index gives needs while every candidate is sorted.
    whole_rows() of it is the page's whole rows again."""
    extra = [node for node in select._returning if id(node) not in _OWN_FIELDS]
    return select.select(Article.id, Article.version, *extra)


_OWN_FIELDS = frozenset(id(field) for field in Article._meta.sorted_fields)


def articles_from(cursor) -> list[Article]:
    """The rows of a query over Article's columns as Articles, without peewee's row
    machinery (half the time of a list page). Columns that are not Article's, such as a
    search's rank, become attributes of the same name; those of annotations() set
    duplicate_of and story_id."""
    plan = [(_FIELD_BY_COLUMN.get(column[0]), column[0]) for column in cursor.description]
    annotated = any(name in (_FIRST_COPY, _STORY) for _, name in plan)
    articles = []
    for row in cursor:
        article = Article(__no_default__=1)
        data, extra = article.__data__, article.__dict__
        for (field, name), value in zip(plan, row, strict=True):
            if field is None:
                extra[name] = value
            else:
                data[field.name] = field.python_value(value)
        if annotated:
            first = extra.pop(_FIRST_COPY, None)
            extra["_duplicate_of"] = first if first != data["id"] else None
            extra["_story_id"] = extra.pop(_STORY, None)
        articles.append(article)
    return articles


@lru_cache(maxsize=4)
def _first_copy_sql(param: str) -> str:
    """Written once per placeholder style: asked on every article read. One row always,
    NULL when no live article has the hash (a tombstone's own)."""
    return f"SELECT {_first_copy(param)}"


def index_key(name: str) -> str:
    """The folded name, cut to 600 UTF-8 bytes: NFKC can lengthen a name many times over,
    and PostgreSQL's B-tree entries stop at 2704 bytes."""
    return fold_name(name).encode("utf-8")[:600].decode("utf-8", errors="ignore")


class ArticleEntity(BaseModel):
    """One row per (article, kind, folded name): the index behind name filters, keyed in
    the order they list in (migration 0011)."""

    article = ForeignKeyField(Article, column_name="article_id", on_delete="CASCADE")
    kind = CharField(max_length=16)
    value = TextField()
    published_at = InstantField()

    class Meta:
        primary_key = CompositeKey("kind", "value", "published_at", "article")


class ArticleMinHash(BaseModel):
    """A body's MinHash signature. The row also holds, written and read by
    api/storage/bands.py alone, on PostgreSQL the signature's band keys as an array
    (column buckets), on SQLite the number its band keys name it by (column n)."""

    article = ForeignKeyField(Article, column_name="article_id", primary_key=True,
                              on_delete="CASCADE")
    signature = BlobField()  # similarity.encode

    class Meta:
        table_name = "article_minhash"


class ArticleBand(BaseModel):
    """One row per LSH bucket of an article's signature (similarity.buckets): a view
    (read it, never write it) of the keys api/storage/bands.py stores, on PostgreSQL
    as article_minhash's arrays (migration 0018), on SQLite as article_band_key rows
    naming the signature's number (0020; a key whose signature is gone has no article)."""

    bucket = BigIntegerField()
    article = ForeignKeyField(Article, column_name="article_id")

    class Meta:
        primary_key = CompositeKey("bucket", "article")


class IdempotencyKey(BaseModel):
    """A write's Idempotency-Key, per API key: claimed before the write (status NULL
    while it is in flight), then holding the answer to replay until it expires."""

    key_id = CharField(max_length=36)
    key = CharField(max_length=255)
    method = CharField(max_length=8)
    path = CharField(max_length=2048)
    request_hash = CharField(max_length=64)
    status = IntegerField(null=True)
    headers = TextField(null=True)
    body = TextField(null=True)
    created_at = InstantField()

    class Meta:
        primary_key = CompositeKey("key_id", "key")


class PurgedArticle(BaseModel):
    """What stays of an article purged for good: who, when, why (migration 0014)."""

    id = CharField(max_length=36, primary_key=True)
    source = CharField(max_length=253)
    external_id = CharField(max_length=200, null=True)
    purged_at = InstantField()
    key_id = CharField(max_length=36, null=True)
    reason = TextField()

    class Meta:
        table_name = "purged_article"


class Story(BaseModel):
    """The articles about one event across sources (api/writing/grouping.py). A story merged
    into an older one keeps its row, pointing there (absorbed_into), so its id still
    leads somewhere."""

    id = CharField(max_length=36, primary_key=True)
    absorbed_into = CharField(max_length=36, null=True)
    article_count = IntegerField()  # live articles
    first_published_at = InstantField(null=True)
    last_published_at = InstantField(null=True)
    created_at = InstantField()


class StoryArticle(BaseModel):
    """A live article's story (a deleted article leaves its story, a revival rejoins)."""

    article_id = CharField(max_length=36, primary_key=True)
    story_id = CharField(max_length=36)
    published_at = InstantField()
    words = BlobField()  # grouping.encode_words: its keywords, for grouping to compare

    class Meta:
        table_name = "story_article"


class Setting(BaseModel):
    """Values every instance must share, such as the cursor-signing key."""

    key = CharField(max_length=64, primary_key=True)
    value = TextField()


class Revision(BaseModel):
    """One change to one article: revision N produced version N. seq orders every
    revision of every article, and is the change feed's position."""

    seq = BigIntegerField(primary_key=True)
    article_id = CharField(max_length=36)
    version = IntegerField()
    op = CharField(max_length=8)
    at = InstantField()
    source = CharField(max_length=253)
    key_id = CharField(max_length=36, null=True)
    # The whole article row as it was after this change, as JSON; NULL while this is
    # the current version, which the article row itself holds (a new article costs no
    # second copy). Written when a later version replaces it or the row is deleted.
    snapshot = TextField(null=True)


class FeedPosition(BaseModel):
    id = IntegerField(primary_key=True)
    seq = BigIntegerField()

    class Meta:
        table_name = "feed_position"


class ApiKey(BaseModel):
    id = CharField(max_length=36, primary_key=True)
    name = CharField(max_length=100)
    scope = CharField(max_length=8)
    prefix = CharField(max_length=16)
    # sha256 of the secret: the secret itself is shown once and never stored.
    secret_hash = CharField(max_length=64)
    created_at = InstantField()
    revoked_at = InstantField(null=True)


class Subscription(BaseModel):
    """An alert: changes matching filter (JSON of the article list's filters) are sent
    to target_url, signed with secret (migration 0017)."""

    id = CharField(max_length=36, primary_key=True)
    key_id = CharField(max_length=36, null=True)
    target_url = CharField(max_length=2048)
    description = TextField(null=True)
    filter = TextField()
    secret = CharField(max_length=100)
    state = CharField(max_length=16)  # active or disabled
    disabled_reason = TextField(null=True)
    scanned_seq = BigIntegerField()
    wait_until = InstantField(null=True)
    lease_owner = CharField(max_length=64, null=True)
    lease_until = InstantField(null=True)
    created_at = InstantField()
    updated_at = InstantField()


class Delivery(BaseModel):
    """One change sent (or to be sent) to one subscription; attempts is a JSON list."""

    id = CharField(max_length=36, primary_key=True)
    subscription_id = CharField(max_length=36)
    seq = BigIntegerField()
    event_type = CharField(max_length=32)
    article_id = CharField(max_length=36)
    payload = TextField()
    state = CharField(max_length=16)  # pending, delivered or failed
    tries = IntegerField()  # attempts in the current run of the retry schedule
    redeliver = IntegerField()  # 1: one attempt asked for by the owner, outside the order
    attempts = TextField()
    next_attempt_at = InstantField(null=True)
    created_at = InstantField()
