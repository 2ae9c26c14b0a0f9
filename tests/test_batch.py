"""POST /articles/batch and Idempotency-Key: many writes, none lost or doubled."""

from __future__ import annotations

import json

import pytest

from api.storage.db import database
from api.storage.models import ArticleBand
from api.text import similarity


@pytest.fixture
def batch(client):
    def post(items, **headers):
        response = client.post("/articles/batch", json=items, headers=headers)
        assert response.status_code == 200, response.json
        return response.json
    return post


def _variant(sample, number, **changes):
    return {**sample, "external_id": str(number), "url": f"https://kayhan.ir/en/news/{number}",
            "body": f"Report number {number}. {sample['body']}", **changes}


def test_each_item_is_created_updated_unchanged_or_rejected(batch, sample, client):
    first = batch([_variant(sample, 1), _variant(sample, 2)])
    second = batch([_variant(sample, 1), _variant(sample, 2, headline="Changed"),
                    {**sample, "headline": ""}, _variant(sample, 3)])

    assert [item["status"] for item in first["results"]] == ["created", "created"]
    assert [item["status"] for item in second["results"]] == [
        "unchanged", "updated", "rejected", "created"]
    assert second["counts"] == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    assert second["results"][2]["errors"] == [{"pointer": "/headline",
                                               "detail": "Must not be blank."}]
    assert second["results"][0]["id"] == first["results"][0]["id"]
    stored = client.get(f"/articles/{second['results'][1]['id']}").json
    assert (stored["headline"], stored["version"]) == ("Changed", 2)
    assert client.get(f"/articles/{first['results'][0]['id']}").json["version"] == 1
    assert len(client.get("/articles").json["items"]) == 3


def test_items_without_external_id_are_keyed_on_url(batch, sample):
    item = {**sample, "external_id": None}

    statuses = [batch([item])["results"][0]["status"] for _ in range(2)]

    assert statuses == ["created", "unchanged"]


def test_items_with_neither_key_are_recognised_by_body_headline_and_time(batch, sample,
                                                                         client):
    keyless = {**sample, "external_id": None, "url": None}
    other = {**keyless, "body": "A different report altogether.", "headline": "Other"}
    first = batch([keyless, other, keyless])
    again = batch([keyless, {**other, "tags": ["retagged"]}])
    elsewhere = batch([{**keyless, "source": "dawn.com"},
                       {**keyless, "headline": "Same words, another story"}])

    assert [item["status"] for item in first["results"]] == ["created", "created",
                                                             "unchanged"]
    assert first["results"][2]["id"] == first["results"][0]["id"]
    assert [item["status"] for item in again["results"]] == ["unchanged", "updated"]
    assert again["results"][1]["id"] == first["results"][1]["id"]
    assert client.get(f"/articles/{first['results'][1]['id']}").json["tags"] == ["retagged"]
    assert [item["status"] for item in elsewhere["results"]] == ["created", "created"]
    assert len(client.get("/articles").json["items"]) == 4


def test_bodiless_items_with_neither_key_match_on_headline_and_time(batch, sample):
    brief = {**sample, "external_id": None, "url": None, "body": None}
    first = batch([brief])
    again = batch([brief, {**brief, "published_at": "2021-07-15T10:00:00Z"}])

    assert [item["status"] for item in again["results"]] == ["unchanged", "created"]
    assert again["results"][0]["id"] == first["results"][0]["id"]


def test_ndjson_malformed_line_rejects_that_item_only(client, sample):
    body = "\n".join([json.dumps(_variant(sample, 1)), '{"headline": ', "",
                      json.dumps(_variant(sample, 2))]) + "\n"

    response = client.post("/articles/batch", data=body, content_type="application/x-ndjson")

    assert response.status_code == 200
    assert [item["status"] for item in response.json["results"]] == [
        "created", "rejected", "created"]
    assert len(client.get("/articles").json["items"]) == 2


def test_conflicting_url_rejects_the_item_and_keeps_the_rest(batch, sample, client):
    batch([_variant(sample, 1)])

    result = batch([_variant(sample, 2, url="https://kayhan.ir/en/news/1"), _variant(sample, 3)])

    assert [item["status"] for item in result["results"]] == ["rejected", "created"]
    assert "url" in result["results"][0]["errors"][0]["detail"]


def test_a_batch_racing_another_writer_is_judged_item_by_item(batch, sample, client,
                                                             monkeypatch):
    """When another writer stores or locks one of a batch's keys meanwhile, the batch
    falls back to writing its items one by one; an item still clashing is refused alone."""
    from peewee import IntegrityError

    from api.writing import bulk, store

    batch([_variant(sample, 1)])

    def clash(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: article.source, article.external_id")

    def upsert(data, *args, **kwargs):
        if data["external_id"] == "3":
            clash()
        return store.upsert(data, *args, **kwargs)

    monkeypatch.setattr(bulk, "upsert_many", clash)
    monkeypatch.setattr(bulk, "upsert", upsert)
    result = batch([_variant(sample, 1, headline="Changed"), _variant(sample, 2),
                    _variant(sample, 3)])

    assert [item["status"] for item in result["results"]] == ["updated", "created", "rejected"]
    assert "concurrent write" in result["results"][2]["errors"][0]["detail"]
    assert client.get(f"/articles/{result['results'][0]['id']}").json["headline"] == "Changed"
    stored = {item["external_id"] for item in client.get("/articles").json["items"]}
    assert stored == {"1", "2"}


def test_more_than_a_thousand_items_is_refused_whole(client, sample):
    items = [_variant(sample, number) for number in range(1001)]

    response = client.post("/articles/batch", json=items)

    assert response.status_code == 422
    assert client.get("/articles").json["items"] == []


def test_a_batch_is_not_an_object(client, sample):
    assert client.post("/articles/batch", json=sample).status_code == 422


class TestIdempotencyKey:
    def test_repeat_replays_the_first_answer_without_writing(self, client, sample):
        headers = {"Idempotency-Key": "4b1c7a52-create-92427"}

        first = client.post("/articles", json=sample, headers=headers)
        again = client.post("/articles", json=sample, headers=headers)

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json == first.json
        assert again.headers["Location"] == first.headers["Location"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert len(client.get("/articles").json["items"]) == 1

    def test_same_key_with_another_body_is_422(self, client, sample):
        headers = {"Idempotency-Key": "k-1"}
        client.post("/articles", json=sample, headers=headers)

        response = client.post("/articles", json={**sample, "headline": "Other"},
                               headers=headers)

        assert response.status_code == 422
        assert response.json["type"].endswith("idempotency-key-reused")

    def test_failed_request_does_not_use_up_the_key(self, client, sample):
        headers = {"Idempotency-Key": "k-2"}

        refused = client.post("/articles", json={**sample, "headline": ""}, headers=headers)
        accepted = client.post("/articles", json=sample, headers=headers)

        assert (refused.status_code, accepted.status_code) == (422, 201)

    def test_batch_retry_is_replayed(self, client, sample):
        headers = {"Idempotency-Key": "batch-1"}
        items = [_variant(sample, 1)]

        first = client.post("/articles/batch", json=items, headers=headers)
        again = client.post("/articles/batch", json=items, headers=headers)

        assert again.json == first.json
        assert again.json["results"][0]["status"] == "created"


class TestDuplicates:
    def test_same_body_points_at_the_first_stored(self, create, client):
        first = create(external_id="1", url=None, body="The same wire story, word for word.")
        copy = create(external_id="2", url=None, source="presstv.ir",
                      body="THE SAME   wire story, word for word.")
        other = create(external_id="3", url=None, body="A different story entirely.")

        assert first["duplicate_of"] is None
        assert copy["duplicate_of"] == first["id"]
        assert other["duplicate_of"] is None
        only = client.get("/articles?duplicates=only").json["items"]
        excluded = client.get("/articles?duplicates=exclude").json["items"]
        assert [item["id"] for item in only] == [copy["id"]]
        assert {item["id"] for item in excluded} == {first["id"], other["id"]}

    def test_deleting_the_original_promotes_the_next_copy(self, create, client):
        body = "The same wire story, word for word."
        first = create(external_id="1", url=None, body=body)
        second = create(external_id="2", url=None, body=body)
        third = create(external_id="3", url=None, body=body)

        client.delete(f"/articles/{first['id']}")

        assert client.get(f"/articles/{second['id']}").json["duplicate_of"] is None
        assert client.get(f"/articles/{third['id']}").json["duplicate_of"] == second["id"]


WIRE = ("Officials in the border province said on Tuesday that the crossing would reopen to "
        "trucks carrying food and fuel after three days of talks between local elders and "
        "the armed group that now controls the customs post, easing fears of shortages in "
        "the markets of the provincial capital where prices had doubled since the weekend.")


class TestSimilar:
    def test_lightly_edited_copies_are_found_and_unrelated_ones_are_not(self, create, client):
        original = create(external_id="1", url=None, body=WIRE)
        edited = create(external_id="2", url=None, source="presstv.ir", body=WIRE.replace(
            "on Tuesday", "on Tuesday evening").replace("doubled", "nearly doubled"))
        unrelated = create(external_id="3", url=None, body=(
            "The national football team arrived home to a crowd of thousands after winning "
            "the regional cup in a penalty shoot-out that kept supporters up past midnight."))

        items = client.get(f"/articles/{original['id']}/similar").json["items"]

        assert [item["id"] for item in items] == [edited["id"]]
        assert 0.5 <= items[0]["score"] < 1.0
        assert unrelated["id"] not in {item["id"] for item in items}

    def test_heavily_rewritten_story_is_below_the_threshold(self, create, client):
        original = create(external_id="1", url=None, body=WIRE)
        words = WIRE.split()
        rewritten = " ".join(words[::2] + words[1::2])
        create(external_id="2", url=None, body=rewritten)

        assert client.get(f"/articles/{original['id']}/similar").json["items"] == []

    def test_unknown_article_is_404(self, client):
        response = client.get("/articles/01900000-0000-7000-8000-000000000000/similar")

        assert response.status_code == 404

    def test_a_copy_deleted_or_rewritten_is_no_longer_found(self, create, client):
        original = create(external_id="1", url=None, body=WIRE)
        deleted = create(external_id="2", url=None, body=WIRE.replace("doubled", "tripled"))
        rewritten = create(external_id="3", url=None, body=WIRE.replace("weekend", "week"))
        found_before = client.get(f"/articles/{original['id']}/similar").json["items"]

        client.delete(f"/articles/{deleted['id']}")
        client.patch(f"/articles/{rewritten['id']}", json={"body": (
            "The national football team arrived home to a crowd of thousands after winning "
            "the regional cup in a penalty shoot-out that kept supporters up past midnight.")})

        assert {item["id"] for item in found_before} == {deleted["id"], rewritten["id"]}
        assert client.get(f"/articles/{original['id']}/similar").json["items"] == []
        with database.connection_context():
            assert ArticleBand.select().where(
                ArticleBand.article.in_([deleted["id"]])).count() == 0
            assert ArticleBand.select().where(
                ArticleBand.article == rewritten["id"]).count() == similarity.BANDS
            # Every key stored names an article's signature (none left behind).
            assert not ArticleBand.select().where(ArticleBand.article.is_null()).exists()


def test_ndjson_keeps_unicode_line_separators_inside_strings(client, sample):
    line = json.dumps({**sample, "headline": "Two\u2028lines"}, ensure_ascii=False)

    response = client.post("/articles/batch", data=(line + "\n").encode(),
                           content_type="application/x-ndjson")

    assert [item["status"] for item in response.json["results"]] == ["created"]
