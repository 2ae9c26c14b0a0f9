"""Upgrading a database that already holds articles keeps them whole."""

from __future__ import annotations

import pytest

from api.storage.db import database, is_sqlite, open_database
from api.storage.migrations import all_migrations, upgrade
from api.storage.migrations.m0019_article_ids_as_uuid import retype
from api.storage.models import Article, Revision
from api.text import similarity
from api.writing.journal import snapshot
from api.writing.store import folded_body


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


def test_copies_of_current_versions_are_dropped_and_older_versions_kept(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    client.patch(article, json={"headline": "Second headline"})
    with database.connection_context():
        # As a database written before the migration holds it: a copy of every version.
        current = Article.get_by_id(created["id"])
        Revision.update(snapshot=snapshot(current)).where(
            (Revision.article_id == current.id) & (Revision.version == 2)).execute()
        migration = all_migrations()[8]
        with database.atomic():
            migration.module.upgrade(database.obj, "sqlite" if is_sqlite() else "postgresql")
        copies = [row.version for row in Revision.select().where(
            Revision.snapshot.is_null(False))]

    assert migration.name == "revisions copy replaced versions only"
    assert copies == [1]
    assert client.get(f"{article}/revisions/1").json["headline"] == created["headline"]
    assert client.get(f"{article}/revisions/2").json["headline"] == "Second headline"
    assert client.get(f"{article}/revisions").json["items"][0]["changes"]["headline"] == {
        "old": created["headline"], "new": "Second headline"}


def _ids_as_text() -> None:
    """Article ids back to the text they were before migration 0019 (PostgreSQL), for a
    test that rebuilds a table as an earlier release had it."""
    if not is_sqlite():
        retype(database.obj, 'VARCHAR(36) COLLATE "C"', "text")


_FIRST_NEAR_DUPLICATE_TABLES = (
    "CREATE TABLE article_minhash (article_id VARCHAR(36) PRIMARY KEY"
    " REFERENCES article (id) ON DELETE CASCADE, signature TEXT NOT NULL)",
    "CREATE TABLE article_band (band INTEGER NOT NULL, bucket VARCHAR(16) NOT NULL,"
    " article_id VARCHAR(36) NOT NULL REFERENCES article (id) ON DELETE CASCADE,"
    " PRIMARY KEY (band, bucket, article_id))",
)


def test_near_duplicates_stored_before_the_compact_index_are_still_found(client, create):
    wire = ("Officials at the main border crossing said on Tuesday that trucks carrying fuel "
            "and flour would be allowed through again after a week of talks between the two "
            "sides, easing shortages in the markets of the provincial capital.")
    original = create(external_id="1", url=None, body=wire)
    copy = create(external_id="2", url=None, body=wire.replace("Tuesday", "Wednesday"))
    with database.connection_context():
        # Back to the first release's tables: hex text of 64-bit values, band rows that
        # the migration does not need (it derives them from the signatures).
        # (article_band is a view since migration 0018 on PostgreSQL, 0020 on SQLite.)
        _ids_as_text()
        database.execute_sql("DROP VIEW article_band")
        if is_sqlite():
            database.execute_sql("DROP TABLE article_band_key")
        database.execute_sql("DROP TABLE article_minhash")
        for statement in _FIRST_NEAR_DUPLICATE_TABLES:
            database.execute_sql(statement)
        for article in (original, copy):
            values = similarity.signature(folded_body(article["body"]))
            database.execute_sql(
                "INSERT INTO article_minhash VALUES (%s, %s)".replace("%s", database.param),
                (article["id"], values.astype("<u8").tobytes().hex()))
        migration = all_migrations()[9]
        # Then the later ones that reshape these tables (band keys as arrays on
        # PostgreSQL, by signature number on SQLite).
        later = [step for step in all_migrations() if step.version in (18, 19, 20)]
        with database.atomic():
            for step in (migration, *later):
                step.module.upgrade(database.obj, "sqlite" if is_sqlite() else "postgresql")

    assert migration.name == "compact near-duplicate index"
    assert [item["id"] for item in
            client.get(f"/articles/{original['id']}/similar").json["items"]] == [copy["id"]]
    client.delete(f"/articles/{copy['id']}")
    assert client.get(f"/articles/{original['id']}/similar").json["items"] == []


_FIRST_ENTITY_TABLE = (
    "CREATE TABLE article_entity (article_id VARCHAR(36) NOT NULL REFERENCES article (id)"
    " ON DELETE CASCADE, kind VARCHAR(16) NOT NULL, value TEXT NOT NULL,"
    " published_at TIMESTAMP NOT NULL, PRIMARY KEY (kind, value, article_id))",
    "CREATE INDEX article_entity_listing ON article_entity (kind, value, published_at,"
    " article_id)",
    "CREATE INDEX article_entity_article ON article_entity (article_id)",
)


def test_name_filters_and_facets_answer_alike_once_the_entity_index_is_one_tree(client,
                                                                              create):
    first = create(external_id="1", url=None, people=["Arif Kakar", "Zabihullah Mujahid"])
    second = create(external_id="2", url=None, body="Another body.", people=["Arif Kakar"])
    asked = ("/articles?person=Arif%20Kakar", "/articles?person=Zabihullah%20Mujahid",
             "/articles/facets?facet=person")
    before = [client.get(path).json for path in asked]
    with database.connection_context():
        rows = database.execute_sql(
            "SELECT article_id, kind, value, published_at FROM article_entity").fetchall()
        _ids_as_text()
        database.execute_sql("DROP TABLE article_entity")
        for statement in _FIRST_ENTITY_TABLE:
            database.execute_sql(statement)
        database.cursor().executemany(
            "INSERT INTO article_entity VALUES (%s, %s, %s, %s)".replace("%s", database.param),
            rows)
        migration = all_migrations()[10]
        with database.atomic():
            for step in (migration, all_migrations()[18]):
                step.module.upgrade(database.obj, "sqlite" if is_sqlite() else "postgresql")

    assert migration.name == "entity index in one tree"
    assert [item["id"] for item in before[0]["items"]] == [second["id"], first["id"]]
    assert before[2]["facets"]["person"]
    assert [client.get(path).json for path in asked] == before


def test_articles_stored_with_text_ids_read_the_same_once_their_ids_are_uuids(client, create):
    if is_sqlite():
        pytest.skip("SQLite keeps article ids as text")
    wire = ("Officials at the main border crossing said on Tuesday that trucks carrying fuel "
            "and flour would be allowed through again after a week of talks between the two "
            "sides, easing shortages in the markets of the provincial capital.")
    original = create(external_id="1", url=None, body=wire, people=["Arif Kakar"])
    copy = create(external_id="2", url=None, body=wire.replace("Tuesday", "Wednesday"),
                  people=["Arif Kakar"])
    client.patch(f"/articles/{original['id']}", json={"headline": "Second headline"})
    asked = (f"/articles/{original['id']}", f"/articles/{original['id']}/similar",
             f"/articles/{original['id']}/revisions/1", "/articles?person=Arif%20Kakar",
             "/changes", "/stories")
    with database.connection_context():
        _ids_as_text()
    before = [client.get(path).get_data() for path in asked]
    migration = all_migrations()[18]
    with database.connection_context(), database.atomic():
        migration.module.upgrade(database.obj, "postgresql")
        types = {row[0] for row in database.execute_sql(
            "SELECT data_type FROM information_schema.columns WHERE (table_name, column_name)"
            " IN (('article', 'id'), ('article_entity', 'article_id'),"
            " ('revision', 'article_id'), ('story_article', 'article_id'))")}
    after = [client.get(path).get_data() for path in asked]
    later = create(external_id="3", url=None, body=wire.replace("Tuesday", "Monday"))

    assert migration.name == "article ids as uuid (PostgreSQL)"
    assert types == {"uuid"}
    assert after == before
    assert {item["id"] for item in client.get(
        f"/articles/{later['id']}/similar").json["items"]} == {original["id"], copy["id"]}
