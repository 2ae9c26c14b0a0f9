"""The entity index in one B-tree instead of three: an article's entity rows all carry
its publish instant, so (kind, value, published_at, article_id) is as unique as the
first key (kind, value, article_id) was, and as the primary key it is also the order
name filters list in, which needed an index of its own.

SQLite keeps the table WITHOUT ROWID, so the key is the table; PostgreSQL drops the
listing index that the new primary key replaces.
"""

NAME = "entity index in one tree"


def upgrade(db, dialect):
    if dialect == "postgresql":
        statements = [
            "ALTER TABLE article_entity DROP CONSTRAINT article_entity_pkey",
            "DROP INDEX article_entity_listing",
            "ALTER TABLE article_entity ADD CONSTRAINT article_entity_pkey"
            " PRIMARY KEY (kind, value, published_at, article_id)",
        ]
    else:
        statements = [
            """CREATE TABLE article_entity_compact (
                article_id VARCHAR(36) NOT NULL REFERENCES article (id) ON DELETE CASCADE,
                kind VARCHAR(16) NOT NULL,
                value TEXT NOT NULL,
                published_at TIMESTAMP NOT NULL,
                PRIMARY KEY (kind, value, published_at, article_id)) WITHOUT ROWID""",
            "INSERT INTO article_entity_compact (article_id, kind, value, published_at)"
            " SELECT article_id, kind, value, published_at FROM article_entity",
            "DROP TABLE article_entity",
            "ALTER TABLE article_entity_compact RENAME TO article_entity",
            "CREATE INDEX article_entity_article ON article_entity (article_id)",
        ]
    for statement in statements:
        db.execute_sql(statement)
