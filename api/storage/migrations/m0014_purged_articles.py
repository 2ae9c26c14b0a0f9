"""Legal takedowns: what is kept of a purged article (POST /articles/{id}/purge).

Its text, its revisions' copies and every index entry go; this record stays, so reads
answer 410 naming when, by which key and why, and the feed's `purged` change has a
subject.
"""

NAME = "purged articles"


def upgrade(db, dialect):
    key = 'COLLATE "C"' if dialect == "postgresql" else ""
    db.execute_sql(f"""CREATE TABLE purged_article (
        id VARCHAR(36) {key} PRIMARY KEY,
        source VARCHAR(253) {key} NOT NULL,
        external_id VARCHAR(200) {key},
        purged_at TIMESTAMP NOT NULL,
        key_id VARCHAR(36),
        reason TEXT NOT NULL)""")
    db.execute_sql("CREATE INDEX purged_article_key ON purged_article (source, external_id)")
