"""Indexes for the external_id and updated_after filters."""

NAME = "indexes for external_id and updated_after filters"


def upgrade(db, dialect):
    db.execute_sql("CREATE INDEX article_external_id ON article (external_id)")
    db.execute_sql("CREATE INDEX article_updated ON article (updated_at, id)")
