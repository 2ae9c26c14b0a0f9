"""Legal takedowns: a purged article's text is gone from every place that held it."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.storage import checkpoints
from api.storage.db import database, is_sqlite
from api.storage.models import (
    ApiKey,
    ArticleBand,
    ArticleEntity,
    ArticleMinHash,
    IdempotencyKey,
    Revision,
    Source,
)

# Words no other fixture uses, so a search for them finds this article or nothing.
PHRASE = "quokka marmalade tribunal"
REASON = "Court order 2026/114: the item names a protected witness."


@pytest.fixture
def doomed(create, client):
    article = create(body=f"The {PHRASE} sat late on Tuesday. " * 20)
    client.patch(f"/articles/{article['id']}", json={"summary": f"About the {PHRASE}."})
    return article


def _purge(client, article_id, reason=REASON):
    return client.post(f"/articles/{article_id}/purge", json={"reason": reason})


def _found(client, words):
    return [item["id"] for item in client.get(f"/articles?q={words}").json["items"]]


def test_purge_answers_the_record_it_keeps(client, doomed):
    response = _purge(client, doomed["id"])

    assert response.status_code == 200
    record = response.json
    assert record["article_id"] == doomed["id"]
    assert (record["source"], record["external_id"]) == ("kayhan.ir", "92427")
    assert record["reason"] == REASON
    assert record["purged_by"] == ApiKey.get(ApiKey.name == "tests").id
    assert record["purged_at"].endswith("Z")


def test_a_purged_article_answers_410_everywhere_with_its_record(client, doomed):
    _purge(client, doomed["id"])
    base = f"/articles/{doomed['id']}"

    answers = [client.get(base), client.get("/sources/kayhan.ir/articles/92427"),
               client.get(f"{base}/revisions"), client.get(f"{base}/revisions/1"),
               client.patch(base, json={"summary": "x"}), client.delete(base),
               client.post(f"{base}/revisions/1/restore"), _purge(client, doomed["id"])]

    assert [answer.status_code for answer in answers] == [410] * len(answers)
    assert {answer.json["type"].rsplit(":", 1)[1] for answer in answers} == {"purged"}
    assert answers[0].json["reason"] == REASON
    assert answers[0].content_type == "application/problem+json"


def test_no_search_list_or_index_holds_a_purged_article(app, client, doomed, create):
    kept = create(external_id="2", url=None, body=f"A {PHRASE} again, told otherwise.")
    assert set(_found(client, PHRASE.replace(" ", "+"))) == {doomed["id"], kept["id"]}

    _purge(client, doomed["id"])

    assert _found(client, PHRASE.replace(" ", "+")) == [kept["id"]]
    assert _found(client, "Tuesday") == []
    assert doomed["id"] not in [item["id"] for item in client.get("/articles").json["items"]]
    with app.app_context(), database.connection_context():
        for model in (ArticleEntity, ArticleMinHash, ArticleBand):
            assert not model.select().where(model.article == doomed["id"]).exists()
        assert not ArticleBand.select().where(ArticleBand.article.is_null()).exists()
        assert [row.snapshot for row in Revision.select().where(
            Revision.article_id == doomed["id"])] == [None] * 3
        assert Source.get_by_id("kayhan.ir").article_count == 1


def test_the_feed_tells_mirrors_to_delete_a_purged_article(client, doomed):
    _purge(client, doomed["id"])

    changes = client.get("/changes").json["changes"]

    assert [(c["op"], c["version"]) for c in changes if c["id"] == doomed["id"]] == [
        ("created", 1), ("updated", 2), ("purged", 3)]


def test_a_stored_idempotent_answer_replays_the_takedown_not_the_text(app, client, sample):
    headers = {"Idempotency-Key": "ingest-77"}
    body = {**sample, "body": f"The {PHRASE} again."}
    created = client.post("/articles", json=body, headers=headers).json

    _purge(client, created["id"])
    retried = client.post("/articles", json=body, headers=headers)

    assert retried.status_code == 410
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert PHRASE not in retried.get_data(as_text=True)
    assert client.get("/articles").json["items"] == []
    with app.app_context(), database.connection_context():
        assert all(PHRASE not in row.body for row in IdempotencyKey.select())


def test_a_deleted_article_can_be_purged(client, doomed):
    client.delete(f"/articles/{doomed['id']}")

    assert _purge(client, doomed["id"]).status_code == 200
    assert client.get(f"/articles/{doomed['id']}").json["type"].endswith(":purged")


def test_purging_needs_an_admin_key_and_a_reason(app, client, doomed, key_for):
    writer = app.test_client()
    writer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key_for('write')}"

    assert _purge(writer, doomed["id"]).status_code == 403
    assert client.post(f"/articles/{doomed['id']}/purge", json={}).status_code == 422
    assert _purge(client, doomed["id"], reason="  ").status_code == 422
    assert client.get(f"/articles/{doomed['id']}").status_code == 200


def test_purging_an_unknown_article_is_404(client):
    assert _purge(client, "0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f").status_code == 404


@pytest.mark.parametrize("checkpointing", [False, True],
                         ids=["alone", "beside_a_server_s_checkpoints"])
def test_a_purged_text_is_not_left_in_the_database_file(
        app, client, doomed, database_url, checkpointing, monkeypatch):
    if not is_sqlite(database):
        pytest.skip("PostgreSQL keeps dead rows until VACUUM; the README says so")
    if checkpointing:  # a server worker's thread, checkpointing as often as it can
        monkeypatch.setattr(checkpoints, "INTERVAL_SECONDS", 0)
        stop = checkpoints.start(database.primary)
    try:
        _purge(client, doomed["id"])
    finally:
        if checkpointing:
            stop.set()

    path = Path(database_url.removeprefix("sqlite:///"))
    files = [path, path.with_name(path.name + "-wal")]
    stored = b"".join(file.read_bytes() for file in files if file.exists())

    assert PHRASE.encode() not in stored
    assert REASON.encode() in stored
