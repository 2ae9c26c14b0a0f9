"""Writing articles: derived fields, the entity index, source counts, conflicts.

Every write runs in one transaction, so a failed request leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

import uuid6
from peewee import IntegrityError, fn

from schemas.fields import fold_name

from . import similarity
from .db import database, is_sqlite
from .errors import Problem
from .language import detect_language
from .models import LIST_FIELDS, Article, ArticleBand, ArticleEntity, ArticleMinHash, Source

# Entity kinds in the index, by the article field they come from.
ENTITY_KINDS = {
    "authors": "author",
    "tags": "tag",
    "people": "person",
    "places": "place",
    "organisations": "organisation",
    "cited_sources": "cited_source",
}
Check = Callable[[Article | None], None]
Build = Callable[[Article], dict]
_WORD = re.compile(r"\w+(?:['\u2019\u200c-]\w+)*")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def word_count(body: str | None) -> int:
    return len(_WORD.findall(body)) if body else 0


@lru_cache(maxsize=2)
def folded_body(body: str) -> str:
    """The body after NFKC, case folding and whitespace folding: the form that both the
    content hash and the MinHash read. Cached, as one write asks for it twice."""
    return fold_name(body)


def content_hash(body: str | None) -> str | None:
    """sha256 of the body after NFKC, case folding and whitespace folding."""
    if not body or not body.strip():
        return None
    return hashlib.sha256(folded_body(body).encode("utf-8")).hexdigest()


def locked(query):
    """Lock the selected rows until commit where the database supports it."""
    return query if is_sqlite() else query.for_update()


def _by_key(domain: str, external_id: str):
    return Article.select().where(
        (Article.source == domain) & (Article.external_id == external_id))


def find_by_key(domain: str, external_id: str) -> Article | None:
    """The article with this natural key, unlocked: for reads."""
    return _by_key(domain, external_id).first()


def lock_by_key(domain: str, external_id: str) -> Article | None:
    """The article with this natural key, locked until commit: for writes."""
    return locked(_by_key(domain, external_id)).first()


def ensure_source(domain: str) -> None:
    now = utc_now()
    Source.insert(domain=domain, created_at=now, updated_at=now).on_conflict_ignore().execute()


def _raise_if_taken(data: dict, own_id: str | None) -> None:
    """409 naming the article that already holds this natural key or URL."""
    holders = []
    if data.get("external_id") is not None:
        holders.append(((Article.source == data["source"])
                        & (Article.external_id == data["external_id"]), "source and external_id"))
    if data.get("url") is not None:
        holders.append((Article.url == data["url"], "url"))
    for condition, what in holders:
        if own_id is not None:
            condition &= Article.id != own_id
        other = Article.select(Article.id).where(condition).first()
        if other is not None:
            raise taken(what, other.id)


def taken(what: str, other_id: str) -> Problem:
    """The 409 for a natural key or URL another article already holds."""
    return Problem(409, f"Another article already has this {what}.", kind="duplicate-article",
                   existing=f"/articles/{other_id}", existing_id=other_id)


def columns_for(data: dict, stored: Article | None = None) -> dict:
    """The article row for validated data; for an edit of a stored article that keeps
    the publish time, also how that time was found."""
    dateline = data.get("dateline") or {}
    published, modified = data["published_at"], data.get("modified_at")
    body = data.get("body")
    return {
        "source": data["source"],
        "external_id": data.get("external_id"),
        "url": data.get("url"),
        "headline": data["headline"],
        "summary": data.get("summary"),
        "body": body,
        "language": data.get("language") or detect_language(body or data["headline"]),
        "published_at": published.utc,
        "published_at_offset": published.offset,
        "published_at_basis": data.get("published_at_basis") or _kept_basis(stored, published),
        "modified_at": modified.utc if modified else None,
        "modified_at_offset": modified.offset if modified else None,
        "dateline_text": dateline.get("text"),
        "dateline_place": dateline.get("place"),
        "dateline_credit": dateline.get("credit"),
        **{name: list(data.get(name) or []) for name in LIST_FIELDS},
        "word_count": word_count(body),
        "content_hash": content_hash(body),
    }


def _kept_basis(stored: Article | None, published) -> str:
    if stored is not None and (published.utc, published.offset) == (
            stored.published_at, stored.published_at_offset):
        return stored.published_at_basis
    return "stated"


def unchanged(article: Article, columns: dict) -> bool:
    """Whether writing columns would leave the stored article as it is."""
    return all(getattr(article, "source_id" if name == "source" else name) == value
               for name, value in columns.items())


def index_key(name: str) -> str:
    """The folded name, cut to 600 UTF-8 bytes: NFKC can lengthen a name many times over,
    and PostgreSQL's B-tree entries stop at 2704 bytes."""
    return fold_name(name).encode("utf-8")[:600].decode("utf-8", errors="ignore")


def entity_rows(article_id: str, data: dict) -> list[dict]:
    return [
        {"article": article_id, "kind": kind, "value": value,
         "published_at": data["published_at"].utc}
        for field, kind in ENTITY_KINDS.items()
        for value in sorted({index_key(name) for name in data.get(field) or []} - {""})
    ]


def body_signature(body: str | None):
    """The body's MinHash, or None; right after columns_for, its folding is cached."""
    return similarity.signature(folded_body(body)) if body else None


def minhash_rows(article_id: str, values) -> tuple[list[dict], list[dict]]:
    """The signature row and the band rows that index an article's body (body_signature)."""
    if values is None:
        return [], []
    return ([{"article": article_id, "signature": similarity.encode(values)}],
            [{"band": band, "bucket": bucket, "article": article_id}
             for band, bucket in similarity.buckets(values)])


def _index_entities(article_id: str, data: dict) -> None:
    ArticleEntity.delete().where(ArticleEntity.article == article_id).execute()
    if rows := entity_rows(article_id, data):
        ArticleEntity.insert_many(rows).execute()


def _index_minhash(article_id: str, body: str | None) -> None:
    ArticleMinHash.delete().where(ArticleMinHash.article == article_id).execute()
    ArticleBand.delete().where(ArticleBand.article == article_id).execute()
    signature_rows, band_rows = minhash_rows(article_id, body_signature(body))
    if signature_rows:
        ArticleMinHash.insert_many(signature_rows).execute()
        ArticleBand.insert_many(band_rows).execute()


def annotate_duplicates(articles: list[Article]) -> list[Article]:
    """Set duplicate_of for a page of articles with one query."""
    digests = sorted({article.content_hash for article in articles if article.content_hash})
    firsts = {}
    if digests:
        firsts = dict(Article.select(Article.content_hash, fn.MIN(Article.id))
                      .where(Article.content_hash.in_(digests))
                      .group_by(Article.content_hash).tuples())
    for article in articles:
        first = firsts.get(article.content_hash)
        article.__dict__["_duplicate_of"] = first if first != article.id else None
    return articles


def _count(domain: str, change: int) -> None:
    Source.update(article_count=Source.article_count + change).where(
        Source.domain == domain).execute()


def _insert(data: dict, columns: dict | None = None) -> Article:
    columns = columns or columns_for(data)
    ensure_source(columns["source"])
    _raise_if_taken(data, None)
    now = utc_now()
    columns = columns | {"id": str(uuid6.uuid7()), "version": 1,
                         "created_at": now, "updated_at": now}
    Article.insert(columns).execute()
    _index_entities(columns["id"], data)
    _index_minhash(columns["id"], columns["body"])
    _count(columns["source"], +1)
    return Article(**columns)


def _update(article: Article, data: dict, columns: dict | None = None) -> Article:
    columns = columns or columns_for(data, article)
    ensure_source(columns["source"])
    _raise_if_taken(data, article.id)
    columns = columns | {"version": article.version + 1, "updated_at": utc_now()}
    changed = Article.update(columns).where(
        (Article.id == article.id) & (Article.version == article.version)).execute()
    if changed != 1:
        raise Problem(412, "The article changed while this request was being handled; "
                           "fetch it again and retry.", kind="edit-conflict")
    _index_entities(article.id, data)
    if columns["body"] != article.body:
        _index_minhash(article.id, columns["body"])
    if article.source_id != columns["source"]:
        # In domain order, like every writer, so two moves cannot deadlock.
        for domain, change in sorted([(article.source_id, -1), (columns["source"], +1)]):
            _count(domain, change)
    return Article(id=article.id, created_at=article.created_at, **columns)


def upsert(data: dict, columns: dict | None = None) -> tuple[str, Article]:
    """Create, replace or leave alone the article keyed by (source, external_id), else url.

    Returns 'created', 'updated' or 'unchanged' with the stored article. columns, when
    given, are columns_for(data) computed already (the batch path has them).
    """
    existing = None
    if data.get("external_id") is not None:
        existing = lock_by_key(data["source"], data["external_id"])
    elif data.get("url") is not None:
        existing = locked(Article.select().where(Article.url == data["url"])).first()
    columns = columns or columns_for(data, existing)
    if existing is None:
        return "created", _insert(data, columns)
    if unchanged(existing, columns):
        return "unchanged", existing
    return "updated", _update(existing, data, columns)


def _naming_conflicts(write, data: dict, own_id: str | None):
    """Run write in a transaction; a unique-index race becomes a 409 naming the winner."""
    try:
        with database.atomic():
            return write()
    except IntegrityError:
        with database.atomic():
            _raise_if_taken(data, own_id)
        raise


def create_article(data: dict) -> Article:
    return _naming_conflicts(lambda: _insert(data), data, None)


def modify_article(article_id: str, check: Check, build: Build) -> Article:
    """Read-check-write in one transaction: check(article) may refuse (412),
    build(article) returns the validated new fields."""
    with database.atomic():
        article = locked(Article.select().where(Article.id == article_id)).get()
        check(article)
        return _update(article, build(article))


def put_by_key(domain: str, external_id: str, data: dict, check: Check) -> tuple[Article, bool]:
    """Create or replace the article with this natural key; True when created."""
    def write():
        ensure_source(domain)
        article = lock_by_key(domain, external_id)
        check(article)
        if article is None:
            return _insert(data), True
        return _update(article, data), False
    try:
        with database.atomic():
            return write()
    except IntegrityError:
        # A concurrent request created the same key first: now it is a replace.
        return _naming_conflicts(write, data, None)


def delete_article(article_id: str, check: Check) -> None:
    with database.atomic():
        article = locked(Article.select().where(Article.id == article_id)).get()
        check(article)
        Article.delete().where(Article.id == article.id).execute()
        _count(article.source_id, -1)
