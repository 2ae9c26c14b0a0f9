"""Upgrading a database that already holds articles keeps them whole."""

from __future__ import annotations

from api.db import database, open_database
from api.migrations import all_migrations, upgrade


def test_history_migration_gives_existing_articles_a_first_revision(tmp_path, make_app):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = open_database(url, pool_size=1)
    with old.connection_context():
        with old.atomic():
            old.execute_sql("CREATE TABLE schema_migration (version INTEGER PRIMARY KEY,"
                            " name VARCHAR(200) NOT NULL, applied_at TIMESTAMP NOT NULL)")
            for migration in all_migrations()[:4]:
                migration.module.upgrade(old, "sqlite")
                old.execute_sql("INSERT INTO schema_migration VALUES (?, ?, '2026-01-01')",
                                (migration.version, migration.name))
            old.execute_sql("INSERT INTO source (domain, article_count, created_at, updated_at)"
                            " VALUES ('kayhan.ir', 1, '2026-01-01', '2026-01-01')")
            old.execute_sql(
                "INSERT INTO article (id, source, external_id, headline, published_at,"
                " published_at_offset, authors, tags, people, places, organisations,"
                " cited_sources, word_count, version, created_at, updated_at)"
                " VALUES ('0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f', 'kayhan.ir', '1', 'Old',"
                " '2021-07-14 17:16:00', '+04:30', '[]', '[\"Kabul\"]', '[]', '[]', '[]',"
                " '[]', 0, 4, '2026-01-01', '2026-01-02')")
        upgrade(old)
    old.close_all()

    client = make_app(DATABASE_URL=url).test_client()
    with database.connection_context():
        upgrade(database.obj)
    feed = client.get("/changes").json
    as_it_was = client.get(
        "/articles/0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f/revisions/4").json

    assert [(c["op"], c["version"]) for c in feed["changes"]] == [("created", 4)]
    assert as_it_was["headline"] == "Old"
    assert as_it_was["tags"] == ["Kabul"]
    assert as_it_was["published_at"] == "2021-07-14T21:46:00+04:30"
