"""Sources, articles, the entity index behind name filters, and shared settings."""

NAME = "initial schema"


def upgrade(db, dialect):
    # Ids and keys compare byte by byte on both backends, so keyset pagination
    # orders them the same way everywhere.
    key = 'COLLATE "C"' if dialect == "postgresql" else ""
    statements = [
        f"""CREATE TABLE source (
            domain VARCHAR(253) {key} PRIMARY KEY,
            name VARCHAR(200),
            time_zone VARCHAR(64),
            language VARCHAR(35),
            article_count INTEGER NOT NULL DEFAULT 0,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL)""",
        f"""CREATE TABLE article (
            id VARCHAR(36) {key} PRIMARY KEY,
            source VARCHAR(253) {key} NOT NULL REFERENCES source (domain),
            external_id VARCHAR(200) {key},
            url VARCHAR(2048),
            headline TEXT NOT NULL,
            summary TEXT,
            body TEXT,
            language VARCHAR(35),
            published_at TIMESTAMP NOT NULL,
            published_at_offset VARCHAR(6) NOT NULL,
            modified_at TIMESTAMP,
            modified_at_offset VARCHAR(6),
            dateline_text VARCHAR(200),
            dateline_place VARCHAR(200),
            dateline_credit VARCHAR(200),
            authors TEXT NOT NULL,
            tags TEXT NOT NULL,
            people TEXT NOT NULL,
            places TEXT NOT NULL,
            organisations TEXT NOT NULL,
            cited_sources TEXT NOT NULL,
            word_count INTEGER NOT NULL,
            content_hash VARCHAR(64),
            version INTEGER NOT NULL,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL)""",
        "CREATE UNIQUE INDEX article_source_external_id ON article (source, external_id)",
        "CREATE UNIQUE INDEX article_url ON article (url)",
        "CREATE INDEX article_published ON article (published_at, id)",
        "CREATE INDEX article_source_published ON article (source, published_at, id)",
        "CREATE INDEX article_language_published ON article (language, published_at, id)",
        f"""CREATE TABLE article_entity (
            article_id VARCHAR(36) {key} NOT NULL REFERENCES article (id) ON DELETE CASCADE,
            kind VARCHAR(16) NOT NULL,
            value TEXT {key} NOT NULL,
            published_at TIMESTAMP NOT NULL,
            PRIMARY KEY (kind, value, article_id))""",
        "CREATE INDEX article_entity_listing"
        " ON article_entity (kind, value, published_at, article_id)",
        "CREATE INDEX article_entity_article ON article_entity (article_id)",
        """CREATE TABLE setting (
            key VARCHAR(64) PRIMARY KEY,
            value TEXT NOT NULL)""",
    ]
    for statement in statements:
        db.execute_sql(statement)
