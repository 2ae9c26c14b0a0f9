"""Tombstones, revisions and restore: nothing an article was is ever lost."""

from __future__ import annotations

from api.storage.db import database
from api.storage.models import Article, Revision
from api.writing import store
from api.writing.journal import writing
from api.writing.preconditions import Preconditions


def test_deleted_article_answers_410_naming_when(client, create):
    created = create()

    assert client.delete(f"/articles/{created['id']}").status_code == 204
    response = client.get(f"/articles/{created['id']}")

    assert response.status_code == 410
    assert response.content_type == "application/problem+json"
    assert response.json["deleted_at"].endswith("Z")
    assert response.json["deleted_at"][:4] in response.json["detail"]
    assert client.get("/sources/kayhan.ir/articles/92427").status_code == 410
    assert client.get("/sources/kayhan.ir").json["article_count"] == 0


def test_writes_to_a_deleted_article_answer_410(client, create):
    created = create()
    client.delete(f"/articles/{created['id']}")

    assert client.patch(f"/articles/{created['id']}", json={"summary": "x"}).status_code == 410
    assert client.delete(f"/articles/{created['id']}").status_code == 410
    assert client.get(f"/articles/{created['id']}/similar").status_code == 410


def test_lists_and_exports_hide_deleted_articles(client, create):
    kept = create(external_id="1", url=None)
    gone = create(external_id="2", url=None, body="another body entirely")
    client.delete(f"/articles/{gone['id']}")

    assert [item["id"] for item in client.get("/articles").json["items"]] == [kept["id"]]
    assert client.get("/articles?count=exact").json["total"] == 1
    streamed = client.get("/articles", headers={"Accept": "application/x-ndjson"})
    assert gone["id"] not in streamed.get_data(as_text=True)


def test_deleted_copy_no_longer_makes_others_duplicates(client, create):
    first = create(external_id="1", url=None)
    copy = create(external_id="2", url=None)
    assert copy["duplicate_of"] == first["id"]

    client.delete(f"/articles/{first['id']}")

    assert client.get(f"/articles/{copy['id']}").json["duplicate_of"] is None


def test_an_articles_etag_stays_when_its_original_is_deleted(client, create):
    first = create(external_id="1", url=None)
    copy = create(external_id="2", url=None)
    held = client.get(f"/articles/{copy['id']}").headers["ETag"]

    client.delete(f"/articles/{first['id']}")
    read = client.get(f"/articles/{copy['id']}")
    patched = client.patch(f"/articles/{copy['id']}", json={"summary": "Checked."},
                           headers={"If-Match": held,
                                    "Content-Type": "application/merge-patch+json"})

    assert read.json["duplicate_of"] is None
    assert read.headers["ETag"] == held
    assert patched.status_code == 200, patched.json


def test_natural_key_put_brings_a_deleted_article_back(client, create, sample):
    created = create()
    client.delete(f"/articles/{created['id']}")

    response = client.put("/sources/kayhan.ir/articles/92427", json=sample)

    assert response.status_code == 201
    assert response.json["id"] == created["id"]
    assert response.json["version"] == 3
    assert client.get(f"/articles/{created['id']}").status_code == 200
    assert client.get("/sources/kayhan.ir").json["article_count"] == 1


def test_post_and_batch_bring_deleted_articles_back(client, create, sample):
    first = create(external_id="1", url=None)
    second = create(external_id="2", url=None)
    client.delete(f"/articles/{first['id']}")
    client.delete(f"/articles/{second['id']}")

    posted = client.post("/articles", json={**sample, "external_id": "1", "url": None})
    batch = client.post("/articles/batch", json=[{**sample, "external_id": "2", "url": None}])

    assert posted.status_code == 201
    assert posted.json["id"] == first["id"]
    assert batch.json["results"][0] == {"index": 0, "status": "created", "id": second["id"],
                                        "errors": []}
    assert client.get(f"/articles/{second['id']}").json["version"] == 3


def test_deleting_a_source_with_only_deleted_articles_is_allowed(client, create):
    created = create()
    assert client.delete("/sources/kayhan.ir").status_code == 409

    client.delete(f"/articles/{created['id']}")

    assert client.delete("/sources/kayhan.ir").status_code == 204


def test_revisions_record_each_change_with_old_and_new_values(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    client.patch(article, json={"headline": "A corrected headline", "tags": ["Kabul"]})
    client.delete(article)

    revisions = client.get(f"{article}/revisions").json["items"]

    assert [(item["version"], item["op"]) for item in revisions] == [
        (3, "deleted"), (2, "updated"), (1, "created")]
    assert revisions[1]["changes"] == {
        "headline": {"old": created["headline"], "new": "A corrected headline"},
        "tags": {"old": created["tags"], "new": ["Kabul"]}}
    assert revisions[2]["changes"]["headline"] == {"old": None, "new": created["headline"]}
    assert revisions[0]["changes"] == {}


def test_revision_shows_the_article_as_it_was(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    client.patch(article, json={"headline": "Second headline"})

    first = client.get(f"{article}/revisions/1")

    assert first.status_code == 200
    assert first.json["headline"] == created["headline"]
    assert first.json["version"] == 1
    assert first.json["published_at"] == created["published_at"]
    assert client.get(f"{article}/revisions/2").json["headline"] == "Second headline"
    assert client.get(f"{article}/revisions/3").status_code == 404


def test_revisions_page_with_a_cursor(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    for number in range(4):
        client.patch(article, json={"summary": f"edit {number}"})

    first = client.get(f"{article}/revisions?limit=2")
    second = client.get(first.json["next"])
    third = client.get(second.json["next"])

    versions = [item["version"] for page in (first, second, third) for item in page.json["items"]]
    assert versions == [5, 4, 3, 2, 1]
    assert third.json["next"] is None
    assert second.json["items"][0]["changes"] == {
        "summary": {"old": "edit 0", "new": "edit 1"}}


def test_restore_makes_an_old_version_current(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    client.patch(article, json={"headline": "Wrong headline", "people": []})

    restored = client.post(f"{article}/revisions/1/restore")

    assert restored.status_code == 200
    assert restored.json["version"] == 3
    assert restored.json["headline"] == created["headline"]
    assert restored.json["people"] == created["people"]
    assert restored.headers["ETag"] == client.get(article).headers["ETag"]
    latest = client.get(f"{article}/revisions?limit=1").json["items"][0]
    assert latest["op"] == "updated"
    assert set(latest["changes"]) == {"headline", "people"}
    assert client.get(f"/articles?person={created['people'][0]}").json["items"]


def test_restore_honours_if_match(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    client.patch(article, json={"headline": "Wrong headline"})

    response = client.post(f"{article}/revisions/1/restore", headers={"If-Match": '"1-x"'})

    assert response.status_code == 412
    assert client.get(article).json["version"] == 2


def test_restore_brings_back_a_deleted_article(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    client.delete(article)

    restored = client.post(f"{article}/revisions/1/restore")

    assert restored.status_code == 200
    assert client.get(article).json["version"] == 3
    assert client.get("/sources/kayhan.ir").json["article_count"] == 1


def test_history_of_an_unknown_article_is_404(client):
    unknown = "/articles/01900000-0000-7000-8000-000000000000"

    assert client.get(f"{unknown}/revisions").status_code == 404
    assert client.get(f"{unknown}/revisions/1").status_code == 404
    assert client.post(f"{unknown}/revisions/1/restore").status_code == 404


def test_a_deleted_article_gives_up_its_url_but_not_its_key(client, create, sample):
    first = create()
    client.delete(f"/articles/{first['id']}")

    other = client.post("/articles", json={**sample, "external_id": "other"})
    revived = client.put("/sources/kayhan.ir/articles/92427", json=sample)

    assert other.status_code == 201
    assert other.json["url"] == sample["url"]
    assert revived.status_code == 409
    assert revived.json["existing_id"] == other.json["id"]
    assert client.get(f"/articles/{first['id']}").status_code == 410


def test_history_outlives_a_deleted_source(client, create):
    created = create()
    client.delete(f"/articles/{created['id']}")
    client.delete("/sources/kayhan.ir")

    revisions = client.get(f"/articles/{created['id']}/revisions")

    assert client.get(f"/articles/{created['id']}").status_code == 404
    assert [item["op"] for item in revisions.json["items"]] == ["deleted", "created"]
    assert client.get(f"/articles/{created['id']}/revisions/1").json["headline"] == \
        created["headline"]
    assert client.get(f"/articles/{created['id']}/revisions/2").json["version"] == 2


def test_a_new_article_stores_no_second_copy_of_itself(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    with database.connection_context():
        copies = Revision.select().where(Revision.snapshot.is_null(False)).count()
    client.patch(article, json={"headline": "Second headline"})
    client.patch(article, json={"headline": "Third headline"})
    with database.connection_context():
        copies_after_edits = Revision.select().where(Revision.snapshot.is_null(False)).count()

    assert copies == 0
    assert copies_after_edits == 2
    assert [client.get(f"{article}/revisions/{version}").json["headline"]
            for version in (1, 2, 3)] == [created["headline"], "Second headline",
                                          "Third headline"]


def test_versions_written_in_one_transaction_are_all_kept(client, create):
    created = create()
    article = f"/articles/{created['id']}"
    # Group commit puts concurrent writes of one article in one transaction like this.
    with database.connection_context(), writing():
        for headline in ("Second headline", "Third headline"):
            edited = Article.get_by_id(created["id"])
            edited.headline = headline
            store.restore_article(created["id"], edited, Preconditions())

    assert [client.get(f"{article}/revisions/{version}").json["headline"]
            for version in (1, 2, 3)] == [created["headline"], "Second headline",
                                          "Third headline"]
