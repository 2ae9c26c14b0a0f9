"""Full-text search over headline, summary and body (see api/reading/fts5.py and
tsearch.py).

SQLite: an FTS5 index that reads the article table (external content), kept in step
by triggers, so every write path, bulk inserts included, indexes what it writes.
PostgreSQL: a GIN index on the same expression api.reading.tsearch builds for its queries.
"""

NAME = "full-text search index"

_SQLITE = [
    """CREATE VIRTUAL TABLE article_fts USING fts5(
        headline, summary, body, content='article', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts (rowid, headline, summary, body)
        VALUES (new.rowid, new.headline, new.summary, new.body);
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts (article_fts, rowid, headline, summary, body)
        VALUES ('delete', old.rowid, old.headline, old.summary, old.body);
    END""",
    """CREATE TRIGGER article_fts_update AFTER UPDATE OF headline, summary, body ON article
    BEGIN
        INSERT INTO article_fts (article_fts, rowid, headline, summary, body)
        VALUES ('delete', old.rowid, old.headline, old.summary, old.body);
        INSERT INTO article_fts (rowid, headline, summary, body)
        VALUES (new.rowid, new.headline, new.summary, new.body);
    END""",
    "INSERT INTO article_fts (article_fts) VALUES ('rebuild')",
]

# Must stay the expression api.reading.tsearch.vector builds, or the planner ignores it.
_POSTGRES = [
    """CREATE INDEX article_search ON article USING GIN (to_tsvector('simple'::regconfig,
        ((((COALESCE(headline, '') || ' ') || COALESCE(summary, '')) || ' ')
         || COALESCE("left"(body, 100000), ''))))""",
]


def upgrade(db, dialect):
    for statement in _SQLITE if dialect == "sqlite" else _POSTGRES:
        db.execute_sql(statement)
