"""How published_at's offset was found, exact and near duplicates, idempotency keys.

duplicate_of is not stored: it is read from the (content_hash, id) index, so it can
never disagree with the bodies it describes."""

NAME = "ingest: offset basis, content-hash index, near-duplicate bands, idempotency keys"


def upgrade(db, dialect):
    key = 'COLLATE "C"' if dialect == "postgresql" else ""
    statements = [
        "ALTER TABLE article ADD COLUMN published_at_basis VARCHAR(16) NOT NULL"
        " DEFAULT 'stated'",
        "CREATE INDEX article_content_hash ON article (content_hash, id)",
        # MinHash signature of each body, and its LSH bands: articles sharing a band
        # are candidate near-duplicates.
        f"""CREATE TABLE article_minhash (
            article_id VARCHAR(36) {key} PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
            signature TEXT NOT NULL)""",
        f"""CREATE TABLE article_band (
            band INTEGER NOT NULL,
            bucket VARCHAR(16) NOT NULL,
            article_id VARCHAR(36) {key} NOT NULL REFERENCES article (id) ON DELETE CASCADE,
            PRIMARY KEY (band, bucket, article_id))""",
        "CREATE INDEX article_band_article ON article_band (article_id)",
        """CREATE TABLE idempotency_key (
            key VARCHAR(255) PRIMARY KEY,
            method VARCHAR(8) NOT NULL,
            path VARCHAR(2048) NOT NULL,
            request_hash VARCHAR(64) NOT NULL,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TIMESTAMP NOT NULL)""",
    ]
    for statement in statements:
        db.execute_sql(statement)
