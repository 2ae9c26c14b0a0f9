"""The near-duplicate index: each body's MinHash signature (article_minhash) and its
LSH band keys (similarity.buckets), kept one way per backend.

SQLite: a row per key in article_band_key, a WITHOUT ROWID B-tree of (bucket, n), n
the number of the article's signature row (migrations 0010, 0020). PostgreSQL: an
article's 16 keys as one bigint[] beside its signature (article_minhash.buckets),
band b's key at position b + 1, each position in an expression B-tree of its own, so
that "any band's key equals the one asked" is 16 index probes OR'ed together
(migration 0018). There a row per key paid a 24-byte tuple
header and the 36-character article id twice, in the heap and in the key.

The backend's implementation is picked in one place (_backend): api.writing.store
writes through index and unindex, api.resources.articles asks candidates,
api.writing.grouping held_elsewhere and the statements of grouping_statements.
"""

from __future__ import annotations

from api.storage.db import database, execute_many, is_sqlite
from api.text import similarity

# Signature rows per INSERT: two placeholders each, under SQLite's limit of 32,766.
_PER_STATEMENT = 5000

# An entry to index: (article id, its body's signature, similarity.buckets of it).
Entry = tuple[str, object, list[int]]


class _Rows:
    """SQLite: a row per band key, (bucket, n), n the number of the article's signature
    row (migration 0020)."""

    # The number of an article's signature row ({p}: its id); NULL if it has none, and
    # "n" IS NOT NULL holds for every key.
    _number = '(SELECT "n" FROM "article_minhash" WHERE "article_id" = {p})'

    # api.writing.grouping's statements that read the keys ({buckets}: a placeholder per key).
    grouping = {
        # Within the window before the limit: a body copied for years must still find
        # this week's copies. A copy holds most of the keys asked, so it is met once per
        # key: the distinct numbers stream first (a co-routine, stopped by the limit), and
        # each one's window and signature are read once, not once per key it holds.
        "copies": 'WITH "c" AS (SELECT DISTINCT "b"."n" FROM "article_band_key" AS "b"'  # noqa: S608
                  ' WHERE "b"."bucket" IN ({buckets}) AND "b"."n" IS NOT ' + _number + ')'
                  ' SELECT "m"."article_id", "m"."signature" FROM "c"'
                  ' CROSS JOIN "article_minhash" AS "m" ON "m"."n" = "c"."n"'
                  ' CROSS JOIN "story_article" AS "s" ON "s"."article_id" = "m"."article_id"'
                  ' WHERE "s"."published_at" >= {p} AND "s"."published_at" <= {p} LIMIT {limit}',
    }

    def index(self, entries: list[Entry]) -> None:
        numbers = {}
        for start in range(0, len(entries), _PER_STATEMENT):
            chunk = entries[start:start + _PER_STATEMENT]
            numbers.update(database.execute_sql(
                'INSERT INTO "article_minhash" ("article_id", "signature") VALUES '  # noqa: S608
                + ", ".join(["(?, ?)"] * len(chunk)) + ' RETURNING "article_id", "n"',
                [value for article_id, signature, _ in chunk
                 for value in (article_id, similarity.encode(signature))]).fetchall())
        execute_many('INSERT INTO "article_band_key" ("bucket", "n") VALUES (?, ?)',
                     [(bucket, numbers[article_id]) for article_id, _, buckets in entries
                      for bucket in buckets])

    def unindex(self, article_id: str) -> None:
        # No index by article: its keys are worked out from its stored signature.
        stored = database.execute_sql(
            'SELECT "n", "signature" FROM "article_minhash" WHERE "article_id" = ?',
            (article_id,)).fetchone()
        if stored is None:
            return
        number, signature = stored
        keys = similarity.buckets(similarity.decode(signature))
        database.execute_sql(
            'DELETE FROM "article_band_key" WHERE "bucket" IN ('  # noqa: S608 (placeholders)
            + ", ".join("?" * len(keys)) + ') AND "n" = ?', (*keys, number))
        database.execute_sql('DELETE FROM "article_minhash" WHERE "n" = ?', (number,))

    def candidates(self, buckets: list[int], article_id: str, limit: int):
        return database.execute_sql(
            'SELECT "m"."article_id", "m"."signature" FROM "article_minhash" AS "m"'  # noqa: S608
            ' WHERE "m"."n" IN (SELECT DISTINCT "b"."n" FROM "article_band_key" AS "b"'
            ' WHERE "b"."bucket" IN (' + ", ".join("?" * len(buckets)) + ')'
            ' AND "b"."n" IS NOT ' + self._number.format(p="?") + ' LIMIT ?)',
            (*buckets, article_id, limit)).fetchall()

    def held_elsewhere(self, bodies: list[tuple[str, list[int]]]) -> set[int]:
        keys = [key for _, buckets in bodies for key in buckets]
        ids = [article_id for article_id, _ in bodies]
        # One probe per key that stops at its first holder: a wire story's keys are
        # held by every copy, and only whether any other holds each one matters.
        rows = database.execute_sql(
            'WITH "asked"("bucket") AS (VALUES '  # noqa: S608 (placeholders)
            + ", ".join(["(?)"] * len(keys)) + '), "mine"("n") AS (SELECT "n"'
            ' FROM "article_minhash" WHERE "article_id" IN (' + ", ".join("?" * len(ids))
            + ')) SELECT "bucket" FROM "asked" WHERE EXISTS (SELECT 1'
            ' FROM "article_band_key" AS "b" WHERE "b"."bucket" = "asked"."bucket"'
            ' AND "b"."n" NOT IN (SELECT "n" FROM "mine"))', (*keys, *ids))
        return {key for (key,) in rows}


def _any_band(value: str) -> str:
    """A condition on article_minhash "m": for some band b, the key at position b + 1
    equals value (SQL text), each read through that position's index."""
    return "(" + " OR ".join(f'"m"."buckets"[{band + 1}] = {value}'
                             for band in range(similarity.BANDS)) + ")"


class _Arrays:
    """PostgreSQL: an article's keys as one bigint[] on its signature's row, band b's
    key at position b + 1, each position in a B-tree of its own (migration 0018)."""

    grouping = {
        # The member's keys in band order, one placeholder each; constants otherwise.
        "copies": 'SELECT "m"."article_id", "m"."signature" FROM "article_minhash" AS "m"'  # noqa: S608
                  ' JOIN "story_article" AS "s" ON "s"."article_id" = "m"."article_id"'
                  ' WHERE ' + _any_band("{p}") + ' AND "m"."article_id" <> {p}'
                  ' AND "s"."published_at" >= {p} AND "s"."published_at" <= {p} LIMIT {limit}',
    }

    def index(self, entries: list[Entry]) -> None:
        execute_many('INSERT INTO "article_minhash" ("article_id", "signature", "buckets")'
                     " VALUES (%s, %s, %s)",
                     [(article_id, similarity.encode(signature), buckets)
                      for article_id, signature, buckets in entries])

    def unindex(self, article_id: str) -> None:
        database.execute_sql('DELETE FROM "article_minhash" WHERE "article_id" = %s',
                             (article_id,))

    def candidates(self, buckets: list[int], article_id: str, limit: int):
        # The limit is written into the statement: bound, it let the generic plan that
        # PostgreSQL settles on for a statement psycopg has prepared (from its sixth
        # run) guess that a tenth of the rows would do, and scan the table for them.
        return database.execute_sql(
            'SELECT "m"."article_id", "m"."signature" FROM "article_minhash" AS "m"'  # noqa: S608
            f' WHERE {_any_band("%s")} AND "m"."article_id" <> %s LIMIT {int(limit)}',
            (*buckets, article_id)).fetchall()

    def held_elsewhere(self, bodies: list[tuple[str, list[int]]]) -> set[int]:
        by_band = [sorted({buckets[band] for _, buckets in bodies})
                   for band in range(similarity.BANDS)]
        rows = database.execute_sql(
            'SELECT "m"."buckets" FROM "article_minhash" AS "m" WHERE '  # noqa: S608
            + _any_band("ANY (%s::bigint[])") + ' AND "m"."article_id" <> ALL (%s)',
            (*by_band, [article_id for article_id, _ in bodies]))
        asked = {key for keys in by_band for key in keys}
        return {key for (keys,) in rows for key in keys if key in asked}


_SQLITE, _POSTGRES = _Rows(), _Arrays()


def _backend() -> _Rows | _Arrays:
    return _SQLITE if is_sqlite() else _POSTGRES


def index(entries: list[Entry]) -> None:
    """Store these bodies' signatures and band keys."""
    if entries:
        _backend().index(entries)


def unindex(article_id: str) -> None:
    """Remove an article's signature and band keys, if it has them."""
    _backend().unindex(article_id)


def candidates(buckets: list[int], article_id: str, limit: int):
    """(article id, signature) of up to limit other articles sharing a key with buckets."""
    return _backend().candidates(buckets, article_id, limit)


def held_elsewhere(bodies: list[tuple[str, list[int]]]) -> set[int]:
    """Of these bodies' keys ((article id, its keys in band order)), those an article
    other than these holds."""
    return _backend().held_elsewhere(bodies) if bodies else set()


def grouping_statements() -> dict[str, str]:
    """api.writing.grouping's statement templates that read the band keys, for this backend."""
    return _backend().grouping
