"""PostgreSQL keeps article ids as uuid (16 bytes) instead of 36 characters of text, in
every column that holds one: the article's key, the rows keyed by it (names, signature,
revisions, story membership), deliveries and purge records.

The id is in every entity row twice (heap and the name index's key): 610 of the
10,472 bytes an article took at 50,000 articles. Every id column changes at once, so a
comparison or a join never meets a uuid on one side and text on the other, and the
code reads and writes ids as text on both databases (api.storage.db loads uuid
columns as text). uuid values order as their lowercase text does, which the article
tables' "C" collation gave before: keyset cursors stay valid. SQLite keeps text.
"""

NAME = "article ids as uuid (PostgreSQL)"

ID_COLUMNS = [("article", "id"), ("article_entity", "article_id"),
              ("article_minhash", "article_id"), ("revision", "article_id"),
              ("story_article", "article_id"), ("delivery", "article_id"),
              ("purged_article", "id")]


def upgrade(db, dialect):
    if dialect == "sqlite":
        return
    retype(db, "uuid", "uuid")
    for table, _ in ID_COLUMNS:
        db.execute_sql(f'ANALYZE "{table}"')


def retype(db, column_type: str, cast: str) -> None:
    """Give every article id column column_type, its values cast to cast."""
    # A column's type cannot change under a foreign key or a view that reads it.
    keys = db.execute_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE contype = 'f' AND confrelid = 'article'::regclass"
    ).fetchall()
    db.execute_sql("DROP VIEW article_band")
    for table, name, _ in keys:
        db.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, column in ID_COLUMNS:
        db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {column_type}'
                       f' USING "{column}"::{cast}')
    for table, name, definition in keys:
        db.execute_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    db.execute_sql("CREATE VIEW article_band AS"
                   " SELECT unnest(buckets) AS bucket, article_id FROM article_minhash")
