"""The bulk write path behind POST /articles/batch and `dateline import`.

Items are prepared first (validated, their stored fields derived: no database, so an
import does it in worker processes), then written in one transaction.

New articles are written with one multi-row statement per table per chunk, so a
batch costs a few statements rather than a dozen per article. Items that need
more care (updates, a key repeated within the chunk) take the one-by-one path.
upsert_many runs in its caller's transaction; outcomes are the same as store.upsert's.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from marshmallow import ValidationError
from peewee import IntegrityError, OperationalError

from api.errors import Problem, field_errors
from api.storage.db import database
from api.storage.models import Article
from api.writing import store
from api.writing.journal import writing
from api.writing.preconditions import Preconditions
from api.writing.store import (
    Derived,
    columns_for,
    content_key,
    insert_new,
    lock_content_keys,
    matched_by,
    taken,
    unchanged,
    upsert,
)
from schemas.article import ArticleInputSchema

_LOOKUP_CHUNK = 500
STATUSES = ("created", "updated", "unchanged", "rejected")


def _chunks(values: list, size: int = _LOOKUP_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _content_key(data: dict, derived: Derived) -> tuple | None:
    """store.content_key of an item with neither external_id nor url, else None."""
    if matched_by(data) != "content":
        return None
    return content_key({"source": data["source"], "content_hash": derived.content_hash,
                        "headline": data["headline"],
                        "published_at": data["published_at"].utc})


def _existing(datas: list[dict], content_keys: list[tuple | None],
              columns: tuple = ()) -> tuple[dict, dict, dict]:
    """Stored articles by (source, external_id), by url and by content key (the items'
    _content_key), for these items; with columns, only those of each row are read."""
    external_ids = sorted({d["external_id"] for d in datas if d.get("external_id") is not None})
    sources = sorted({d["source"] for d in datas})
    urls = sorted({d["url"] for d in datas if d.get("url") is not None})
    hashes = sorted({key[2] for key in content_keys if key is not None and key[2] is not None})
    by_key, by_url, by_content = {}, {}, {}
    for chunk in _chunks(external_ids):
        # IDs such as "123" recur across sources: only this batch's sources matter.
        for article in Article.select(*columns).where(Article.external_id.in_(chunk)
                                              & Article.source.in_(sources)):
            by_key[(article.source_id, article.external_id)] = article
    for chunk in _chunks(urls):
        for article in Article.select(*columns).where(Article.url.in_(chunk)):
            # The live holder of a URL wins over deleted ones.
            if by_url.get(article.url) is None or by_url[article.url].deleted_at is not None:
                by_url[article.url] = article
    for chunk in _chunks(hashes):
        for article in Article.select(*columns).where(
                Article.content_hash.in_(chunk) & Article.source.in_(sources)
                & Article.external_id.is_null() & Article.url.is_null()
                & Article.deleted_at.is_null()).order_by(Article.id.desc()):
            # The earliest such article wins, as in store.same_content.
            by_content[content_key(article.__data__)] = article
    return by_key, by_url, by_content


def upsert_many(datas: list[dict], preconditions: Preconditions,
                derived: list[Derived]) -> list[tuple[str, str] | Problem]:
    """Upsert validated articles; each outcome is (status, id) or the Problem refusing it
    (the preconditions may refuse changes to live articles). derived holds
    store.derive(data) for each item."""
    content_keys = list(map(_content_key, datas, derived))
    lock_content_keys([key for key in content_keys if key is not None])
    by_key, by_url, by_content = _existing(datas, content_keys)
    outcomes: list[tuple[str, str] | Problem | None] = [None] * len(datas)
    one_by_one, fresh, claimed_keys, claimed_urls = [], [], set(), set()
    for index, data in enumerate(datas):
        key = (data["source"], data.get("external_id"))
        url = data.get("url")
        keyless = content_keys[index]
        if keyless is not None:
            if keyless[2] is None or keyless in claimed_keys:
                one_by_one.append(index)
                continue
            key, target = keyless, by_content.get(keyless)
        else:
            target = by_key.get(key) if matched_by(data) == "key" else by_url.get(url)
        holder = by_url.get(url) if url else None
        if holder is not None and holder.deleted_at is not None and key[1] is not None:
            holder = None  # a deleted article does not hold its URL against another key
        if (key[1] is not None and key in claimed_keys) or (url and url in claimed_urls):
            one_by_one.append(index)
            continue
        claimed_keys.add(key)
        if url:
            claimed_urls.add(url)
        if holder is not None and (target is None or holder.id != target.id):
            outcomes[index] = taken("url", holder.id)
            continue
        columns = columns_for(data, target, derived[index])
        if target is None:
            fresh.append((index, data, columns, derived[index].signature))
        elif unchanged(target, columns):
            outcomes[index] = ("unchanged", target.id)
        else:
            try:
                preconditions.check(target)
            except Problem as problem:
                outcomes[index] = problem
                continue
            one_by_one.append(index)
    for index, article_id in _insert_fresh(fresh):
        outcomes[index] = ("created", article_id)
    for index, outcome in _upsert_each(datas, derived, one_by_one, preconditions).items():
        outcomes[index] = outcome
    return outcomes


def write_order(data: dict) -> tuple:
    """The order every writer inserts keys in, so two batches never wait on each other
    in a circle (a deadlock on PostgreSQL's unique indexes)."""
    return (data["source"], data.get("external_id") or "", data.get("url") or "")


def _insert_fresh(fresh: list[tuple]) -> list[tuple[int, str]]:
    """Insert (index, data, columns, signature) entries in write order; (index, id) each."""
    fresh = sorted(fresh, key=lambda entry: write_order(entry[1]))
    stored = insert_new([(data, columns, signature) for _, data, columns, signature in fresh])
    return [(entry[0], article.id) for entry, article in zip(fresh, stored, strict=True)]


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


def _upsert_each(datas: list[dict], derived: list[Derived], indices: Iterable[int],
                 preconditions: Preconditions, conflicts: tuple = ()) -> dict:
    """The one-by-one path: the items at indices, each in its own savepoint, in the
    shared write order; conflicts: the database errors that refuse only the item they
    hit (409), where any other ends the whole batch."""
    outcomes = {}
    for index in sorted(indices, key=lambda index: write_order(datas[index])):
        try:
            with writing():
                status, article = upsert(datas[index], preconditions, derived[index])
            outcomes[index] = (status, article.id)
        except Problem as problem:
            outcomes[index] = problem
        except conflicts:
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
            each = _upsert_each(datas, derived, range(len(datas)), preconditions,
                                conflicts=(IntegrityError, OperationalError))
            outcomes = [each[index] for index in range(len(datas))]
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, Problem):
            errors = outcome.extra.get("errors") or [{"pointer": "/", "detail": outcome.detail}]
            results[index] = _rejected(index, errors)
        else:
            results[index] = {"index": index, "status": outcome[0], "id": outcome[1],
                              "errors": []}
    counts = Counter(result["status"] for result in results)
    return {"results": results, "counts": {status: counts[status] for status in STATUSES}}


def write_chunks(chunks: Iterable[tuple[object, list[Prepared | Rejected]]],
                 preconditions: Preconditions, commit_every: int, writers: int = 1,
                 context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
                 ) -> Iterator[tuple[object, dict]]:
    """Write (chunk, prepared) pairs (write_prepared), yielding each chunk with its
    result in order. Chunks share a transaction until it holds commit_every articles.

    With writers > 1 (PostgreSQL), that many transactions are written at once, each in
    a thread with a connection of its own (context() entered around it: the app's
    context), so that more than one server process works on the load; transactions
    meet only at their ends (source counts, then the feed position), which they take in
    one order (journal). Once a write fails or the caller stops, transactions still
    being written roll back instead of committing."""
    if writers <= 1:
        with contextlib.ExitStack() as transaction:
            uncommitted = 0
            for chunk, prepared in chunks:
                if not uncommitted:
                    transaction.enter_context(writing())
                yield chunk, write_prepared(prepared, preconditions)
                uncommitted += len(prepared)
                if uncommitted >= commit_every:
                    transaction.close()
                    uncommitted = 0
        return

    stopping = threading.Event()

    def write_group(group: list) -> list[dict]:
        with context(), database.connection_context(), writing():
            results = [write_prepared(prepared, preconditions) for _, prepared in group]
            if stopping.is_set():
                raise _Stopped
            return results

    with ThreadPoolExecutor(writers, thread_name_prefix="dateline-writer") as pool:
        waiting: deque = deque()  # (group, its keys, its future), oldest first

        def oldest() -> Iterator[tuple[object, dict]]:
            group, _, future = waiting.popleft()
            return zip((chunk for chunk, _ in group), future.result(), strict=True)

        known: set[str] = set()
        try:
            for group in _groups(chunks, commit_every):
                # New sources are committed at once: a transaction inserting one would
                # hold every other writer of it until its commit (at the load's start).
                if fresh := {data["source"] for data, _ in _items_of(group)} - known:
                    with writing():
                        for domain in sorted(fresh):
                            store.ensure_source(domain)
                    known |= fresh
                # An article a group in flight also writes waits for it: the later
                # line of a file wins, as when one writer goes through it in order.
                # Stored articles are looked up again after each wait: the group
                # waited for may have stored one this group's lines now match.
                named = _keys(group)
                keys = named | _matched(group)
                while any(keys & earlier for _, earlier, _ in waiting):
                    yield from oldest()
                    keys = named | _matched(group)
                waiting.append((group, keys, pool.submit(write_group, group)))
                if len(waiting) >= writers:
                    yield from oldest()
            while waiting:
                yield from oldest()
        finally:
            stopping.set()  # the pool waits for what is in flight: it rolls back


class _Stopped(Exception):
    """A transaction written after the load failed or was stopped: rolled back."""


def _items_of(group: list) -> Iterator[tuple[dict, Derived | None]]:
    for _, prepared in group:
        yield from ((item.data, item.derived) for item in prepared
                    if isinstance(item, Prepared))


def _keys(group: list) -> set:
    """What another article of the file could match one of the group's by (its natural
    key, its URL, or without either its content: store.matched_by)."""
    keys = set()
    for data, derived in _items_of(group):
        if data.get("external_id") is not None:
            keys.add((data["source"], data["external_id"]))
        if data.get("url") is not None:
            keys.add(data["url"])
        if derived is not None and (content := _content_key(data, derived)) is not None:
            keys.add(content)
    return keys


# What _existing needs of a row to place it (store.content_key's columns among them).
_MATCHED_BY = (Article.id, Article.source, Article.external_id, Article.url, Article.deleted_at,
               Article.content_hash, Article.headline, Article.published_at)


def _matched(group: list) -> set[str]:
    """The ids of the stored articles the group's items match: one line may reach an
    article by its natural key and another by its URL, which _keys cannot tell."""
    items = list(_items_of(group))
    content_keys = [None if derived is None else _content_key(data, derived)
                    for data, derived in items]
    found = _existing([data for data, _ in items], content_keys, _MATCHED_BY)
    return {article.id for stored in found for article in stored.values()}


def _groups(chunks: Iterable[tuple[object, list]], size: int) -> Iterator[list]:
    """Consecutive chunks holding at least size items between them (the last fewer)."""
    group, items = [], 0
    for chunk in chunks:
        group.append(chunk)
        items += len(chunk[1])
        if items >= size:
            yield group
            group, items = [], 0
    if group:
        yield group
