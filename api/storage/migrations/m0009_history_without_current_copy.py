"""A revision's copy of the article is kept only once a later version replaces it: the
current version is the article row itself (a new article cost a second copy of its whole
row, a third of the database). Copies of current versions already stored are dropped.
"""

NAME = "revisions copy replaced versions only"

# The copy of revision's version is redundant while the article row holds that version.
_CURRENT = ("EXISTS (SELECT 1 FROM article WHERE article.id = revision.article_id"
            " AND article.version = revision.version)")


def upgrade(db, dialect):
    if dialect == "postgresql":
        statements = [
            "ALTER TABLE revision ALTER COLUMN snapshot DROP NOT NULL",
            f"UPDATE revision SET snapshot = NULL WHERE {_CURRENT}",  # noqa: S608
        ]
    else:
        # SQLite cannot drop a NOT NULL constraint in place: the table is copied.
        statements = [
            """CREATE TABLE revision_copy (
                seq INTEGER PRIMARY KEY,
                article_id VARCHAR(36) NOT NULL,
                version INTEGER NOT NULL,
                op VARCHAR(8) NOT NULL,
                at TIMESTAMP NOT NULL,
                source VARCHAR(253) NOT NULL,
                key_id VARCHAR(36),
                snapshot TEXT)""",
            "INSERT INTO revision_copy SELECT seq, article_id, version, op, at, source, key_id,"  # noqa: S608
            f" CASE WHEN {_CURRENT} THEN NULL ELSE snapshot END FROM revision",
            "DROP TABLE revision",
            "ALTER TABLE revision_copy RENAME TO revision",
            "CREATE UNIQUE INDEX revision_article_version ON revision (article_id, version)",
            "CREATE INDEX revision_source_seq ON revision (source, seq)",
        ]
    for statement in statements:
        db.execute_sql(statement)
