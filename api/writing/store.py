"""Writing articles: derived fields, the entity index, source counts, conflicts.

Every write runs in one transaction, so a failed request leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import uuid6
from peewee import IntegrityError

from api.errors import Problem
from api.storage import bands
from api.storage.db import database, insert_rows, is_sqlite, locked, update_row
from api.storage.models import (
    ENTITY_FIELDS,
    LIST_FIELDS,
    Article,
    ArticleEntity,
    PurgedArticle,
    articles_from,
    drop_extracted,
    index_key,
    whole_rows,
)
from api.text import similarity
from api.text.entities import VERSION as ENTITY_EXTRACTOR
from api.text.entities import countries as place_countries
from api.text.entities import extract_entities
from api.text.extract import LocalTime, resolve_published_at
from api.text.gazetteer import zone_for_domain
from api.text.language import detect_language
from api.text.words import word_count
from api.writing import grouping
from api.writing.journal import count, record, require_writing, run_writing, writing
from api.writing.preconditions import Preconditions
from schemas.fields import Stamp, fold_name

# Entity kinds in the index, by the article field they come from.
ENTITY_KINDS = {
    "authors": "author",
    "tags": "tag",
    "people": "person",
    "places": "place",
    "organisations": "organisation",
    "cited_sources": "cited_source",
}
# What a restore copies from the old version besides source and the two times.
RESTORED = ("external_id", "url", "headline", "summary", "body", "language", *LIST_FIELDS)
Build = Callable[[Article], dict]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utc_stamp(moment: datetime) -> Stamp:
    """A stored (naive UTC) instant, to be shown in UTC."""
    return Stamp(moment, "Z")


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


def _by_key(domain: str, external_id: str):
    return Article.select().where(
        (Article.source == domain) & (Article.external_id == external_id))


def by_url(url: str):
    """Articles with this URL: the live one first, then deleted ones, latest first."""
    return Article.select().where(Article.url == url).order_by(
        Article.deleted_at.is_null(False), Article.updated_at.desc())


def same_content(columns: dict):
    """For an article with neither external_id nor url: live articles of its source, also
    without both, with the same body (content hash), headline and publish time. Nothing
    else can recognise such an item when a re-import brings it again."""
    hashed = (Article.content_hash.is_null() if columns["content_hash"] is None
              else Article.content_hash == columns["content_hash"])
    return Article.select().where(
        (Article.source == columns["source"]) & Article.external_id.is_null()
        & Article.url.is_null() & Article.deleted_at.is_null() & hashed
        & (Article.headline == columns["headline"])
        & (Article.published_at == columns["published_at"])).order_by(Article.id)


def matched_by(data: dict) -> str:
    """How every write path matches an incoming article to a stored one: by its natural
    key (source, external_id), else by its URL, else, with neither, by its content
    (same_content). 'key', 'url' or 'content'."""
    if data.get("external_id") is not None:
        return "key"
    return "url" if data.get("url") is not None else "content"


def content_key(columns: dict) -> tuple:
    """What same_content matches on."""
    return ("content", columns["source"], columns["content_hash"], columns["headline"],
            columns["published_at"])


def lock_content_keys(keys: list[tuple]) -> None:
    """On PostgreSQL, serialise writers of the same keyless article until commit: no
    unique index covers it, and a row lock cannot lock a row not yet written. Taken in
    sorted order, before any row lock, so two writers cannot wait on each other."""
    if is_sqlite():
        return  # writers already queue one at a time
    for key in sorted(set(keys), key=repr):
        database.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                             (repr(key),))


def find_by_key(domain: str, external_id: str) -> Article | None:
    """The article with this natural key, unlocked: for reads. A tombstone is 410."""
    article = _by_key(domain, external_id).first()
    return article if article is None else live(article)


def missing(article_id: str) -> Problem:
    """The answer for an id no row holds: 404, or 410 if it was purged."""
    return purged(article_id) or Problem(404, "No such article.")


def purged(article_id: str) -> Problem | None:
    """410 naming the takedown, if the article was purged."""
    return _purged(PurgedArticle.get_or_none(PurgedArticle.id == article_id))


def missing_by_key(domain: str, external_id: str) -> Problem:
    record = (PurgedArticle.select().where((PurgedArticle.source == domain)
                                           & (PurgedArticle.external_id == external_id))
              .order_by(PurgedArticle.purged_at.desc()).first())
    return _purged(record) or Problem(
        404, f"{domain} has no article with external_id {external_id!r}.")


def purge_record(record: PurgedArticle) -> dict:
    """What is kept of a purged article, as the purge answers it and its 410s name it."""
    return {"article_id": record.id, "source": record.source,
            "external_id": record.external_id, "purged_at": utc_stamp(record.purged_at),
            "purged_by": record.key_id, "reason": record.reason}


def _purged(record: PurgedArticle | None) -> Problem | None:
    if record is None:
        return None
    kept = purge_record(record) | {"purged_at": utc_stamp(record.purged_at).isoformat()}
    return Problem(410, f"Article {record.id} was purged at {kept['purged_at']}: "
                        f"{record.reason}", kind="purged", **kept)


def live(article: Article) -> Article:
    """The article, unless it is a tombstone: then 410 saying when it was deleted."""
    if article.deleted_at is not None:
        when = utc_stamp(article.deleted_at).isoformat()
        raise Problem(410, f"Article {article.id} was deleted at {when}.", kind="gone",
                      deleted_at=when, current_version=article.version)
    return article


@lru_cache(maxsize=4)
def _by_id_sql(param: str) -> str:
    return whole_rows(Article.select().where(Article.id == "")).sql()[0]


def live_article(article_id: str) -> Article:
    """The article with this id: 404 if there never was one, 410 if it was deleted.

    The hottest read: its SQL text is built once per placeholder style (generating it
    costs more than running it), and the row becomes an Article without peewee's
    query machinery, which took half the time of a GET."""
    found = articles_from(database.execute_sql(_by_id_sql(database.param), (article_id,)))
    if not found:
        raise missing(article_id)
    return live(found[0])


@lru_cache(maxsize=4)
def _locked_sql(param: str) -> dict[str, str]:
    """Locked reads of whole articles by key and by URL, as SQL text made once per
    placeholder style: they run in the writer's critical section, where building them
    with peewee took a fifth of a create's time under load."""
    return {"key": locked(_by_key("", "").limit(1)).sql()[0],
            "url": locked(by_url("").limit(1)).sql()[0],
            "version": locked(Article.select(Article.version, Article.deleted_at)
                              .where(Article.id == "")).sql()[0]}


def _locked_one(which: str, *params) -> Article | None:
    sql = _locked_sql(database.param)[which]
    params = (*params, 1)  # the LIMIT
    found = articles_from(database.execute_sql(sql, params))
    return found[0] if found else None


def lock_by_key(domain: str, external_id: str) -> Article | None:
    """The article with this natural key, locked until commit: for writes."""
    return _locked_one("key", domain, external_id)


def lock_by_url(url: str) -> Article | None:
    """The article with this URL, the live one before deleted ones, locked until commit."""
    return _locked_one("url", url)


# The nil UUID, which is no article's id (they are UUIDv7), and a uuid where PostgreSQL
# keeps ids as uuid.
NO_ARTICLE = "00000000-0000-0000-0000-000000000000"


@lru_cache(maxsize=4)
def _statements(param: str) -> dict[str, str]:
    """A write's fixed statements, as SQL text written once per placeholder style (one
    per backend): peewee spent longer building a create's statements than the
    database spent running them. Standard SQL that SQLite and PostgreSQL both read."""
    statements = {
        # Inserts only a source the statement's snapshot lacks: on PostgreSQL an INSERT
        # meeting a row whose count another transaction has moved waits for its commit.
        "ensure_source": 'INSERT INTO "source" ("domain", "article_count", "created_at", '
                         '"updated_at") SELECT {p}, 0, {p}, {p} WHERE NOT EXISTS (SELECT 1 '
                         'FROM "source" WHERE "domain" = {p}) ON CONFLICT DO NOTHING',
        # With NO_ARTICLE the same statement serves a new article.
        "holder_of_key": 'SELECT "id" FROM "article" WHERE "source" = {p} '
                         'AND "external_id" = {p} AND "id" <> {p} LIMIT 1',
        # A deleted article keeps its key but gives its URL up (migration 0007).
        "holder_of_url": 'SELECT "id" FROM "article" WHERE "url" = {p} '
                         'AND "deleted_at" IS NULL AND "id" <> {p} LIMIT 1',
        "unindex_article_entity": 'DELETE FROM "article_entity" WHERE "article_id" = {p}',
    }
    return {name: sql.format(p=param) for name, sql in statements.items()}


def _run(name: str, *params):
    return database.execute_sql(_statements(database.param)[name], params)


def ensure_source(domain: str) -> None:
    now = utc_now()
    _run("ensure_source", domain, now, now, domain)


def _raise_if_taken(data: dict, own_id: str | None) -> None:
    """409 naming the article that already holds this natural key or URL."""
    if data.get("external_id") is not None:
        other = _run("holder_of_key", data["source"], data["external_id"], own_id or NO_ARTICLE)
        if (row := other.fetchone()) is not None:
            raise taken("source and external_id", row[0])
    if data.get("url") is not None and (
            row := _run("holder_of_url", data["url"], own_id or NO_ARTICLE).fetchone()) is not None:
        raise taken("url", row[0])


def taken(what: str, other_id: str) -> Problem:
    """The 409 for a natural key or URL another article already holds."""
    return Problem(409, f"Another article already has this {what}.", kind="duplicate-article",
                   existing=f"/articles/{other_id}", existing_id=other_id)


@dataclass(frozen=True)
class Derived:
    """What an article's write derives from its text: the costly part of a write, worked
    out before the transaction (in another process, for `dateline import`)."""

    language: str | None
    word_count: int
    content_hash: str | None
    signature: object  # the body's MinHash (numpy array) or None
    extracted: dict  # the entity lists the client left out, as the text gives them


def derive(data: dict, signature: bool = True) -> Derived:
    body = data.get("body")
    language = data.get("language") or detect_language(body or data["headline"])
    return Derived(language=language, word_count=word_count(body),
                   content_hash=content_hash(body),
                   signature=body_signature(body) if signature else None,
                   extracted=extracted_lists(data, language))


def extracted_lists(data: dict, language: str | None) -> dict[str, list[str]]:
    """The entity lists a client did not send, extracted from the headline and body; a
    list sent (even empty) is the client's statement and is kept as sent."""
    missing = [name for name in ENTITY_FIELDS if name not in data]
    if not missing:
        return {}
    found = extract_entities(data["headline"], data.get("body"), data.get("dateline"),
                             language)
    return {name: getattr(found, name) for name in missing}


def columns_for(data: dict, stored: Article | None = None,
                derived: Derived | None = None) -> dict:
    """The article row for validated data; for an edit of a stored article that keeps
    the publish time, also how that time was found."""
    dateline = data.get("dateline") or {}
    published, modified = data["published_at"], data.get("modified_at")
    body = data.get("body")
    derived = derived or derive(data, signature=False)
    return {
        "source": data["source"],
        "external_id": data.get("external_id"),
        "url": data.get("url"),
        "headline": data["headline"],
        "summary": data.get("summary"),
        "body": body,
        "language": derived.language,
        "published_at": published.utc,
        "published_at_offset": published.offset,
        "published_at_basis": data.get("published_at_basis") or _kept_basis(stored, published),
        "modified_at": modified.utc if modified else None,
        "modified_at_offset": modified.offset if modified else None,
        "dateline_text": dateline.get("text"),
        "dateline_place": dateline.get("place"),
        "dateline_credit": dateline.get("credit"),
        **{name: list(data.get(name) or []) for name in LIST_FIELDS},
        **derived.extracted,
        "extracted_lists": sum(1 << bit for bit, name in enumerate(ENTITY_FIELDS)
                               if name in derived.extracted),
        "extractor_version": ENTITY_EXTRACTOR if derived.extracted else None,
        "extractor_checked": ENTITY_EXTRACTOR,
        "word_count": derived.word_count,
        "content_hash": derived.content_hash,
    }


def preview(data: dict) -> Article:
    """The article a write of data would store, not stored."""
    columns = columns_for(data, None, derive(data, signature=False))
    return Article(**columns)


def _kept_basis(stored: Article | None, published) -> str:
    if stored is not None and (published.utc, published.offset) == (
            stored.published_at, stored.published_at_offset):
        return stored.published_at_basis
    return "stated"


def _stored(article: Article, name: str):
    return getattr(article, "source_id" if name == "source" else name)


def unchanged(article: Article, columns: dict) -> bool:
    """Whether writing columns would leave the stored article as it is."""
    return article.deleted_at is None and all(
        _stored(article, name) == value for name, value in columns.items())


def entity_rows(article_id: str, columns: dict) -> list[dict]:
    """The name index rows of an article row: its lists, and the countries its places
    are in (the country filter)."""
    values = {kind: {index_key(name) for name in columns.get(field) or []}
              for field, kind in ENTITY_KINDS.items()}
    values["country"] = {code.casefold() for code in place_countries(
        tuple(columns.get("places") or ()), columns.get("dateline_place"))}
    return [{"article": article_id, "kind": kind, "value": value,
             "published_at": columns["published_at"]}
            for kind, names in values.items() for value in sorted(names - {""})]


def body_signature(body: str | None):
    """The body's MinHash, or None; after content_hash, its folding is cached."""
    return similarity.signature(folded_body(body)) if body else None


def band_keys(values) -> list[int] | None:
    """The LSH band keys of a body's signature (body_signature), None without one."""
    return None if values is None else similarity.buckets(values)


def _index_entities(article_id: str, columns: dict) -> list[dict]:
    _run("unindex_article_entity", article_id)
    rows = entity_rows(article_id, columns)
    insert_rows(ArticleEntity, rows)
    return rows


def unindex_minhash(article_id: str) -> None:
    bands.unindex(article_id)


def _index_minhash(article_id: str, body: str | None, signature=None) -> tuple:
    """Index the body's MinHash (signature: body_signature(body) worked out already);
    returns the signature and its buckets as indexed."""
    unindex_minhash(article_id)
    if signature is None:
        signature = body_signature(body)
    keys = band_keys(signature)
    if signature is not None:
        bands.index([(article_id, signature, keys)])
    return signature, keys or []


def insert_new(fresh: list[tuple]) -> list[Article]:
    """Insert (data, columns, signature) entries, with one statement per table: the
    insert of every write path, one article or a batch. Returns the stored articles."""
    if not fresh:
        return []
    require_writing()
    now = utc_now()
    articles, entities, minhashes, indexed = [], [], [], []
    for _data, columns, signature in fresh:
        article_id = str(uuid6.uuid7())
        articles.append(columns | {"id": article_id, "version": 1,
                                   "created_at": now, "updated_at": now})
        entity = entity_rows(article_id, columns)
        entities += entity
        keys = band_keys(signature)
        if signature is not None:
            minhashes.append((article_id, signature, keys))
        indexed.append((entity, signature, keys or []))
    per_source = Counter(row["source"] for row in articles)
    for domain in sorted(per_source):
        ensure_source(domain)
    insert_rows(Article, articles)
    insert_rows(ArticleEntity, entities)
    bands.index(minhashes)
    for domain, number in per_source.items():
        count(domain, number)
    stored = [Article(**row) for row in articles]
    for article, (entity, signature, buckets) in zip(stored, indexed, strict=True):
        grouping.indexed(article, entity, (signature, buckets))
        record(article, "created")
    return stored


def _insert(data: dict, columns: dict, signature=None) -> Article:
    """Insert one article; signature: its body's MinHash when worked out already."""
    _raise_if_taken(data, None)
    if signature is None:
        signature = body_signature(columns["body"])
    return insert_new([(data, columns, signature)])[0]


def _update(article: Article, data: dict, columns: dict | None = None,
            signature=None) -> Article:
    """Write a new version of article; a tombstone comes back to life. signature: the
    body's MinHash when worked out already."""
    require_writing()
    columns = columns or columns_for(data, article)
    ensure_source(columns["source"])
    _raise_if_taken(data, article.id)
    revived = article.deleted_at is not None
    columns = columns | {"version": article.version + 1, "updated_at": utc_now(),
                         "deleted_at": None}
    # Only the columns that change: SQLite rewrites the entries of every index (and the
    # full-text entry) whose columns an UPDATE names, changed or not.
    changed = {name: value for name, value in columns.items()
               if value != _stored(article, name)}
    if update_row(Article, changed, {"id": article.id, "version": article.version}) != 1:
        raise Problem(412, "The article changed while this request was being handled; "
                           "fetch it again and retry.", kind="edit-conflict")
    entity = _index_entities(article.id, columns)
    minhash = None
    if revived or columns["body"] != article.body:
        minhash = _index_minhash(article.id, columns["body"], signature)
    if revived:
        count(columns["source"], +1)
    elif article.source_id != columns["source"]:
        count(article.source_id, -1)
        count(columns["source"], +1)
    updated = Article(id=article.id, created_at=article.created_at, **columns)
    grouping.indexed(updated, entity, minhash)
    record(updated, "created" if revived else "updated", replaced=article)
    return updated


def upsert(data: dict, preconditions: Preconditions,
           derived: Derived | None = None) -> tuple[str, Article]:
    """Create, replace or leave alone the article keyed by (source, external_id), else url,
    else (with neither) by its content: see same_content.

    Returns 'created', 'updated' or 'unchanged' with the stored article; writing a
    tombstone's key brings it back ('created'); the preconditions may refuse a change
    to a live article. derived: derive(data) when worked out already (the batch path
    has it).
    """
    # Derived once: a keyless article's columns are worked out twice, to find it and
    # then against what was found, and language detection is the costly part.
    derived = derived or derive(data, signature=False)
    if matched_by(data) != "content":
        existing = _lock_matching(data)
    else:
        looked_up = columns_for(data, derived=derived)
        lock_content_keys([content_key(looked_up)])
        existing = locked(same_content(looked_up)).first()
    columns = columns_for(data, existing, derived)
    if existing is None:
        return "created", _insert(data, columns, derived.signature)
    if unchanged(existing, columns):
        return "unchanged", existing
    status = "created" if existing.deleted_at is not None else "updated"
    preconditions.check(existing)
    return status, _update(existing, data, columns, derived.signature)


def _naming_conflicts(write, data: dict, own_id: str | None):
    """Run write in a transaction; a unique-index race becomes a 409 naming the winner."""
    try:
        return run_writing(write)
    except IntegrityError:
        with writing():
            _raise_if_taken(data, own_id)
        raise


def _lock_matching(data: dict) -> Article | None:
    """The stored article holding this item's natural key, else its url (matched_by),
    locked; None for an item matched by its content."""
    match = matched_by(data)
    if match == "key":
        return lock_by_key(data["source"], data["external_id"])
    return lock_by_url(data["url"]) if match == "url" else None


def _tombstone_for(data: dict) -> Article | None:
    """The deleted article holding this item's natural key (else its url), locked."""
    article = _lock_matching(data)
    return article if article is not None and article.deleted_at is not None else None


def create_article(data: dict) -> Article:
    """Store a new article; one whose key a deleted article holds brings that one back.
    What the text yields is worked out before the transaction: writers queue on it."""
    derived = derive(data)

    def write():
        tombstone = _tombstone_for(data)
        if tombstone is None:
            return _insert(data, columns_for(data, None, derived), derived.signature)
        return _update(tombstone, data, columns_for(data, tombstone, derived), derived.signature)
    return _naming_conflicts(write, data, None)


def _locked_version(article_id: str) -> tuple[int, object] | None:
    """The article's version and deleted_at, locked until commit; None if there is none."""
    return database.execute_sql(_locked_sql(database.param)["version"],
                                (article_id,)).fetchone()


def modify_article(article_id: str, preconditions: Preconditions, build: Build) -> Article:
    """Read, check, build and write, with no lost update: the preconditions may refuse
    (412, 428), build(article) returns the validated new fields. Both run on an unlocked
    read, so writers do not queue on validation and derived fields; the transaction
    then writes only if the article is still that version, else starts again from a
    fresh read (and a stale If-Match then fails its check)."""
    while True:
        article = live_article(article_id)
        preconditions.check(article)
        data = build(article)
        derived = derive(data, signature=data.get("body") != article.body)
        columns = columns_for(data, article, derived)

        def write(article=article, data=data, derived=derived, columns=columns):
            if _locked_version(article_id) != (article.version, None):
                return None  # changed since the read: start again
            return _update_if_changed(article, data, columns, derived.signature)
        written = run_writing(write)
        if written is not None:
            return written


def locked_row(article_id: str) -> Article:
    """The article's row (a tombstone too), locked until commit: 404 or 410 without."""
    article = locked(Article.select().where(Article.id == article_id)).first()
    if article is None:
        raise missing(article_id)
    return article


def _lock(article_id: str) -> Article:
    return live(locked_row(article_id))


def _update_if_changed(article: Article, data: dict, columns: dict | None = None,
                       signature=None) -> Article:
    """A write that changes nothing makes no version: other clients' ETags stay good."""
    columns = columns or columns_for(data, article)
    return article if unchanged(article, columns) else _update(
        article, data, columns, signature)


def content_of(article: Article) -> dict:
    """An article's content as write data: what restoring it or extracting again from
    it writes. Lists the server extracted are left out, to be extracted again."""
    return drop_extracted({
        "source": article.source_id, **{name: getattr(article, name) for name in RESTORED},
        "published_at": article.published_stamp, "modified_at": article.modified_stamp,
        "dateline": article.dateline_parts, "published_at_basis": article.published_at_basis,
    }, article.entity_basis)


def restore_article(article_id: str, old: Article, preconditions: Preconditions) -> Article:
    """Make an earlier version's content current as a new version (a tombstone too)."""
    with writing():
        article = locked_row(article_id)
        preconditions.check(article)
        return _update_if_changed(article, content_of(old))


def extract_again(article_id: str) -> bool:
    """Read a live article's text with this extractor: a new version (with its revision
    and change-feed entry) where an extracted list changes; else the article stays as it
    reads, and only its name index (countries included) and the hidden note of which
    extractor checked it are brought up to date. True when a version was written."""
    with writing():
        article = live(_lock(article_id))
        columns = columns_for(content_of(article), article)
        lists_changed = any(columns[name] != getattr(article, name) for name in ENTITY_FIELDS)
        if lists_changed:
            _update(article, content_of(article), columns)
        else:
            _index_entities(article.id, columns)
            Article.update(extractor_checked=ENTITY_EXTRACTOR).where(
                Article.id == article.id).execute()
        return lists_changed


def read_again_in_zone(article_id: str, zone: str | None, default_zone: str) -> bool:
    """Place a raw item's local publish time in its source's zone as it is now (zone:
    the source's own, or None for the inferred or default one). Times the text stated
    with an offset stay. True when a version with a new instant was written."""
    with writing():
        article = live(_lock(article_id))
        if article.published_at_basis == "stated":
            return False
        printed = datetime.fromisoformat(article.published_stamp.isoformat())
        wall = LocalTime(printed.replace(tzinfo=None), None)
        published, basis = resolve_published_at(
            wall, zone, default_zone, zone_for_domain(article.source_id))
        if (published.utc, published.offset, basis) == (
                article.published_at, article.published_at_offset, article.published_at_basis):
            return False
        data = content_of(article) | {"published_at": published, "published_at_basis": basis}
        _update(article, data)
        return True


def put_by_key(domain: str, external_id: str, data: dict,
               preconditions: Preconditions) -> tuple[Article, bool]:
    """Create or replace the article with this natural key; True when created."""
    derived = derive(data)

    def write():
        ensure_source(domain)
        article = lock_by_key(domain, external_id)
        columns = columns_for(data, article, derived)
        preconditions.check(article)
        if article is None:
            return _insert(data, columns, derived.signature), True
        if unchanged(article, columns):
            return article, False  # the same again makes no version
        created = article.deleted_at is not None
        return _update(article, data, columns, derived.signature), created
    try:
        return run_writing(write)
    except IntegrityError:
        # A concurrent request created the same key first: now it is a replace.
        return _naming_conflicts(write, data, None)


def delete_article(article_id: str, preconditions: Preconditions) -> None:
    """Leave a tombstone: the row and its history stay, reads answer 410."""
    with writing():
        article = _lock(article_id)
        preconditions.check(article)
        now = utc_now()
        Article.update(deleted_at=now, updated_at=now, version=Article.version + 1).where(
            Article.id == article.id).execute()
        # A deleted article is nobody's near-duplicate; a revival indexes it again.
        unindex_minhash(article.id)
        count(article.source_id, -1)
        deleted = Article(**(article.__data__ | {"deleted_at": now, "updated_at": now,
                                                 "version": article.version + 1}))
        record(deleted, "deleted", replaced=article)
