"""Stories: the articles about one event across sources (api/writing/grouping.py).

story_article holds each live article's story, publish time and keywords (as CRC-32s),
so a story's size, first and last instants, one-article-per-story lists and grouping's
comparisons read a table of their own instead of the article rows. Articles stored
before this release belong to no story until `dateline stories rebuild` groups them.
"""

NAME = "stories"


def upgrade(db, dialect):
    key = 'COLLATE "C"' if dialect == "postgresql" else ""
    blob = "BYTEA" if dialect == "postgresql" else "BLOB"
    db.execute_sql(f"""CREATE TABLE story (
        id VARCHAR(36) {key} PRIMARY KEY,
        absorbed_into VARCHAR(36) {key},
        article_count INTEGER NOT NULL,
        first_published_at TIMESTAMP,
        last_published_at TIMESTAMP,
        created_at TIMESTAMP NOT NULL)""")
    # Newest activity first, for GET /stories; stories with no live article left out.
    db.execute_sql("CREATE INDEX story_activity ON story (last_published_at, id)"
                   " WHERE absorbed_into IS NULL AND article_count > 0")
    db.execute_sql("CREATE INDEX story_absorbed ON story (absorbed_into)"
                   " WHERE absorbed_into IS NOT NULL")
    db.execute_sql(f"""CREATE TABLE story_article (
        article_id VARCHAR(36) {key} PRIMARY KEY,
        story_id VARCHAR(36) {key} NOT NULL,
        published_at TIMESTAMP NOT NULL,
        words {blob} NOT NULL)""")
    db.execute_sql("CREATE INDEX story_article_story ON story_article"
                   " (story_id, published_at, article_id)")
