"""The near-duplicate index in a third of the bytes: a signature is 64 four-byte values
stored as binary (was hex text of eight-byte values), and a band row is one 64-bit key
per (band, bucket) with the article, in one B-tree (SQLite: WITHOUT ROWID) and without
an index by article (an article's keys are worked out from its signature).

Signatures keep their values, so near-duplicates stored before are still found; the
band keys are derived anew from them here, the way api.text.similarity derives them now.
"""

import hashlib

import numpy as np

NAME = "compact near-duplicate index"

_BANDS, _ROWS_PER_BAND = 16, 4
_CHUNK = 2000


def _keys(signature: bytes) -> list[int]:
    width = _ROWS_PER_BAND * 4
    slices = [signature[band * width:(band + 1) * width] for band in range(_BANDS)]
    return [int.from_bytes(hashlib.blake2b(bytes([band]) + part, digest_size=8).digest(),
                           "little", signed=True)
            for band, part in enumerate(slices)]


def upgrade(db, dialect):
    if dialect == "postgresql":
        key, blob, suffix = 'COLLATE "C"', "BYTEA", ""
    else:
        key, blob, suffix = "", "BLOB", " WITHOUT ROWID"
    for statement in (
        f"""CREATE TABLE article_minhash_compact (
            article_id VARCHAR(36) {key} PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
            signature {blob} NOT NULL){suffix}""",
        # No foreign key: only a source's tombstones are ever deleted, and a tombstone
        # has no bands (api.writing.store unindexes it on delete).
        f"""CREATE TABLE article_band_compact (
            bucket BIGINT NOT NULL,
            article_id VARCHAR(36) {key} NOT NULL,
            PRIMARY KEY (bucket, article_id)){suffix}""",
    ):
        db.execute_sql(statement)
    _copy(db)
    statements = [
        "DROP TABLE article_band",
        "DROP TABLE article_minhash",
        "ALTER TABLE article_minhash_compact RENAME TO article_minhash",
        "ALTER TABLE article_band_compact RENAME TO article_band",
    ]
    if dialect == "postgresql":
        statements += [
            "ALTER INDEX article_minhash_compact_pkey RENAME TO article_minhash_pkey",
            "ALTER INDEX article_band_compact_pkey RENAME TO article_band_pkey",
            "ALTER TABLE article_minhash RENAME CONSTRAINT"
            " article_minhash_compact_article_id_fkey TO article_minhash_article_id_fkey",
        ]
    for statement in statements:
        db.execute_sql(statement)


def _copy(db) -> None:
    read = ("SELECT article_id, signature FROM article_minhash WHERE article_id > %s"
            " ORDER BY article_id LIMIT %s").replace("%s", db.param)
    after = ""
    while True:
        rows = db.execute_sql(read, (after, _CHUNK)).fetchall()
        if not rows:
            return
        signatures, bands = [], []
        for article_id, text in rows:
            signature = np.frombuffer(bytes.fromhex(text), dtype="<u8").astype("<u4").tobytes()
            signatures.append((article_id, signature))
            bands += [(bucket, article_id) for bucket in _keys(signature)]
        cursor = db.cursor()
        for table, rows_of_table in (("article_minhash_compact", signatures),
                                     ("article_band_compact", bands)):
            cursor.executemany(("INSERT INTO " + table + " VALUES (%s, %s)")  # noqa: S608
                               .replace("%s", db.param), rows_of_table)
        after = rows[-1][0]
