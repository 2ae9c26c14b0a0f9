"""History and trust: tombstones, revisions numbered by one global feed sequence, API keys.

Revisions are not tied to article rows by a foreign key: the change feed must keep
every entry even when a source's tombstones are purged.
"""

import json
from datetime import datetime

NAME = "tombstones, revisions and change feed, API keys"

_SNAPSHOT_CHUNK = 500


def upgrade(db, dialect):
    key = 'COLLATE "C"' if dialect == "postgresql" else ""
    sequence = "BIGINT" if dialect == "postgresql" else "INTEGER"
    statements = [
        "ALTER TABLE article ADD COLUMN deleted_at TIMESTAMP",
        f"""CREATE TABLE revision (
            seq {sequence} PRIMARY KEY,
            article_id VARCHAR(36) {key} NOT NULL,
            version INTEGER NOT NULL,
            op VARCHAR(8) NOT NULL,
            at TIMESTAMP NOT NULL,
            source VARCHAR(253) {key} NOT NULL,
            key_id VARCHAR(36),
            snapshot TEXT NOT NULL)""",
        "CREATE UNIQUE INDEX revision_article_version ON revision (article_id, version)",
        "CREATE INDEX revision_source_seq ON revision (source, seq)",
        # One row whose value is the last feed position handed out. Writers add to it
        # as the last step before commit; on PostgreSQL its row lock makes positions
        # commit in order, so a reader can never see 12 and later find 11.
        f"CREATE TABLE feed_position (id INTEGER PRIMARY KEY, seq {sequence} NOT NULL)",
        f"""CREATE TABLE api_key (
            id VARCHAR(36) {key} PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            scope VARCHAR(8) NOT NULL,
            prefix VARCHAR(16) NOT NULL,
            secret_hash VARCHAR(64) NOT NULL,
            created_at TIMESTAMP NOT NULL,
            revoked_at TIMESTAMP)""",
        "CREATE UNIQUE INDEX api_key_name ON api_key (name)",
        "CREATE UNIQUE INDEX api_key_prefix ON api_key (prefix)",
    ]
    for statement in statements:
        db.execute_sql(statement)
    last = _record_existing_articles(db)
    db.execute_sql("INSERT INTO feed_position (id, seq) VALUES (1, %s)".replace("%s", db.param),
                   (last,))


_COLUMNS = ("id", "source", "external_id", "url", "headline", "summary", "body", "language",
            "published_at", "published_at_offset", "modified_at", "modified_at_offset",
            "dateline_text", "dateline_place", "dateline_credit", "authors", "tags", "people",
            "places", "organisations", "cited_sources", "published_at_basis", "word_count",
            "content_hash", "version", "created_at", "updated_at", "deleted_at")
_LISTS = {"authors", "tags", "people", "places", "organisations", "cited_sources"}


def _snapshot_value(name, value):
    if name in _LISTS:
        return json.loads(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _record_existing_articles(db) -> int:
    """Give each stored article one revision for its current version, so the feed
    starts complete. Their earlier history was never kept."""
    param = db.param
    select = (f"SELECT {', '.join(_COLUMNS)} FROM article WHERE id > {param}"  # noqa: S608
              f" ORDER BY id LIMIT {_SNAPSHOT_CHUNK}")
    marks = ", ".join([param] * 7)
    insert = f"INSERT INTO revision (seq, article_id, version, op, at, source, snapshot) VALUES ({marks})"  # noqa: S608,E501
    seq, after = 0, ""
    while rows := db.execute_sql(select, (after,)).fetchall():
        values = []
        for row in rows:
            article = {name: _snapshot_value(name, value)
                       for name, value in zip(_COLUMNS, row, strict=True)}
            seq += 1
            values.append((seq, article["id"], article["version"], "created", row[26],
                           article["source"], json.dumps(article, ensure_ascii=False)))
        db.cursor().executemany(insert, values)
        after = rows[-1][0]
    return seq
