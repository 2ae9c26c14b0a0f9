"""SQLite's band keys name their article by a number instead of its 36-character id:
each signature row gets a number (article_minhash.n, never reused), and a key is
(bucket, n) in article_band_key, a WITHOUT ROWID B-tree.

A key row held the bucket (8 bytes) and the article id (36): 902 of the 12,314 bytes an
article took at a million articles, sixteen rows each. A number of at most four bytes
makes a row of about 14; the signature's table pays an index from id to number (ids
and numbers both grow with time, so that index is filled as it is appended to).
article_band stays readable as a view of (bucket, article_id), as on PostgreSQL since
migration 0018; a key whose signature is gone shows with a NULL id. PostgreSQL keeps
its arrays: nothing changes there.
"""

NAME = "band keys by signature number (SQLite)"


def upgrade(db, dialect):
    if dialect == "postgresql":
        return
    for statement in (
        """CREATE TABLE article_minhash_numbered (
            n INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id VARCHAR(36) NOT NULL UNIQUE REFERENCES article (id) ON DELETE CASCADE,
            signature BLOB NOT NULL)""",
        """INSERT INTO article_minhash_numbered (article_id, signature)
            SELECT article_id, signature FROM article_minhash ORDER BY article_id""",
        """CREATE TABLE article_band_key (
            bucket BIGINT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (bucket, n)) WITHOUT ROWID""",
        """INSERT INTO article_band_key (bucket, n)
            SELECT b.bucket, m.n FROM article_band AS b
            JOIN article_minhash_numbered AS m ON m.article_id = b.article_id
            ORDER BY 1, 2""",
        "DROP TABLE article_band",
        "DROP TABLE article_minhash",
        "ALTER TABLE article_minhash_numbered RENAME TO article_minhash",
        """CREATE VIEW article_band AS SELECT k.bucket AS bucket, m.article_id AS article_id
            FROM article_band_key AS k LEFT JOIN article_minhash AS m ON m.n = k.n""",
    ):
        db.execute_sql(statement)
