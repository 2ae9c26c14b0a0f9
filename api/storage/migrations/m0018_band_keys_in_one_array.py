"""PostgreSQL keeps an article's 16 near-duplicate band keys as one bigint[] beside its
signature (article_minhash.buckets, band b's key at position b + 1), each position in
an expression B-tree of its own, instead of a row per key in article_band
(api/storage/bands.py).

A row per key paid a 24-byte tuple header and the 36-character article id twice (heap
and primary key): 2,717 bytes per article at 3,000 articles. The array adds about 170
bytes to the signature's row and the 16 narrow B-trees (a key and a row pointer each)
about 500. A GIN index on the array (one index, queried with &&) was about as large,
but PostgreSQL keeps no statistics for elements that are all distinct, so it guesses
that 16 keys match 7.7% of the rows and preferred a sequential scan (a write's
near-duplicate lookup, 0.1 ms through the index, took 2.9 ms at 3,000 articles and
grows with the table); an expression index has its own statistics, and each probe is
estimated at one row.

article_band stays readable as a view of (bucket, article_id) rows, one per key, for
anyone who looks at the keys the way they are stored on SQLite; nothing in the server
reads it. SQLite keeps its WITHOUT ROWID table: its rows carry no tuple header.

The keys are worked out from the stored signatures, as migration 0010 did: the band
rows do not say which band a key is of.
"""

import hashlib

NAME = "band keys in one array (PostgreSQL)"

_BANDS, _ROWS_PER_BAND = 16, 4
_CHUNK = 2000


def _keys(signature: bytes) -> list[int]:
    width = _ROWS_PER_BAND * 4
    return [int.from_bytes(hashlib.blake2b(bytes([band]) + signature[band * width:
                                                                     (band + 1) * width],
                                           digest_size=8).digest(), "little", signed=True)
            for band in range(_BANDS)]


def upgrade(db, dialect):
    if dialect == "sqlite":
        return
    db.execute_sql("""CREATE TABLE article_minhash_banded (
        article_id VARCHAR(36) COLLATE "C" PRIMARY KEY
            REFERENCES article (id) ON DELETE CASCADE,
        signature BYTEA NOT NULL,
        buckets BIGINT[] NOT NULL)""")
    _copy(db)
    statements = [
        "DROP TABLE article_band",
        "DROP TABLE article_minhash",
        "ALTER TABLE article_minhash_banded RENAME TO article_minhash",
        "ALTER INDEX article_minhash_banded_pkey RENAME TO article_minhash_pkey",
        "ALTER TABLE article_minhash RENAME CONSTRAINT"
        " article_minhash_banded_article_id_fkey TO article_minhash_article_id_fkey",
    ]
    statements += [f"CREATE INDEX article_minhash_band{band} ON article_minhash"
                   f" ((buckets[{band + 1}]))" for band in range(_BANDS)]
    statements += [
        "CREATE VIEW article_band AS"
        " SELECT unnest(buckets) AS bucket, article_id FROM article_minhash",
        # The expression indexes' statistics, which the planner's estimates rest on.
        "ANALYZE article_minhash",
    ]
    for statement in statements:
        db.execute_sql(statement)


def _copy(db) -> None:
    read = ("SELECT article_id, signature FROM article_minhash WHERE article_id > %s"
            " ORDER BY article_id LIMIT %s")
    after = ""
    while True:
        rows = db.execute_sql(read, (after, _CHUNK)).fetchall()
        if not rows:
            return
        db.cursor().executemany(
            "INSERT INTO article_minhash_banded VALUES (%s, %s, %s)",
            [(article_id, signature, _keys(bytes(signature))) for article_id, signature in rows])
        after = rows[-1][0]
