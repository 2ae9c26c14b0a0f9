"""A URL is unique among live articles only: a deleted article keeps its natural key
(so a PUT by key can bring it back) but no longer blocks its URL."""

NAME = "url unique among live articles"


def upgrade(db, dialect):
    for statement in (
        "DROP INDEX article_url",
        "CREATE UNIQUE INDEX article_url ON article (url) WHERE deleted_at IS NULL",
        "CREATE INDEX article_url_any ON article (url)",
    ):
        db.execute_sql(statement)
