"""Creating, reading, replacing, patching and deleting articles."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.text import words
from api.text.words import word_count
from schemas.article import READ_ONLY_FIELDS as READ_ONLY


def _written(article: dict) -> dict:
    return {name: value for name, value in article.items() if name not in READ_ONLY}


def test_post_stores_every_field_as_sent(client, sample):
    response = client.post("/articles", json=sample)

    assert response.status_code == 201
    article = response.json
    assert _written(article) == sample
    assert response.headers["Location"] == f"/articles/{article['id']}"
    assert response.headers["ETag"] == f'"1-{article["id"]}"'
    assert article["version"] == 1
    assert article["published_at"] == "2021-07-14T21:46:00+04:30"


def test_get_returns_what_post_returned(client, create):
    created = create()

    response = client.get(f"/articles/{created['id']}")

    assert response.status_code == 200
    assert response.json == created
    assert response.headers["ETag"] == f'"1-{created["id"]}"'


def test_derived_fields(create, sample):
    article = create(body="  The   Border\tis CLOSED, officials say. ")

    assert article["word_count"] == 6
    normalised = "the border is closed, officials say."
    assert article["content_hash"] == hashlib.sha256(normalised.encode()).hexdigest()
    assert create(external_id="2", url=None, body=None)["content_hash"] is None


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="ab9_ -'.,\n", max_size=40)
       | st.text(alphabet="ab_ -'\u2019\u200c", max_size=40)
       | st.text(alphabet=st.characters(max_codepoint=127), max_size=40) | st.text(max_size=40))
def test_a_body_has_the_words_the_rule_counts_whether_ascii_or_not(body):
    """An ASCII body is counted over its bytes; every body by the same rule: runs of
    word characters, joined across an apostrophe, a hyphen or a zero-width non-joiner."""
    assert word_count(body) == len(words._WORD.findall(body))


def test_ids_are_time_ordered_uuid7(create):
    first = create(external_id="1", url=None)["id"]
    second = create(external_id="2", url=None)["id"]

    assert first[14] == "7"
    assert second[14] == "7"
    assert first < second


@pytest.mark.parametrize("stamp", ["2021-07-14T17:16:00Z", "2021-07-14T12:16:00-05:00",
                                   "2021-07-14T21:46:00.25+04:30"])
def test_published_at_keeps_the_offset_it_was_sent_with(create, stamp):
    assert create(published_at=stamp)["published_at"] == stamp


def test_put_replaces_the_whole_article(client, create, sample):
    created = create()
    replacement = {**sample, "headline": "A new headline", "tags": ["borders"], "summary": None}
    del replacement["people"]

    response = client.put(f"/articles/{created['id']}", json=replacement)

    assert response.status_code == 200
    assert _written(response.json) == {**replacement, "people": []}
    assert response.json["version"] == 2
    assert response.headers["ETag"] == f'"2-{created["id"]}"'
    assert client.get(f"/articles/{created['id']}").json == response.json


def test_patch_merges_changes(client, create, sample):
    created = create()

    response = client.patch(
        f"/articles/{created['id']}",
        json={"summary": None, "dateline": {"credit": None}, "tags": ["Kabul"]},
        content_type="application/merge-patch+json")

    assert response.status_code == 200
    expected = {**sample, "summary": None, "tags": ["Kabul"],
                "dateline": {"text": "KABUL (Dispatches)", "place": "Kabul", "credit": None}}
    assert _written(response.json) == expected
    assert response.json["version"] == 2


def test_patch_accepts_plain_json(client, create):
    created = create()

    response = client.patch(f"/articles/{created['id']}", json={"headline": "Updated"})

    assert response.status_code == 200
    assert response.json["headline"] == "Updated"


def test_patch_that_removes_a_required_field_is_refused(client, create):
    created = create()

    response = client.patch(f"/articles/{created['id']}", json={"headline": None})

    assert response.status_code == 422
    assert response.json["errors"] == [{"pointer": "/headline",
                                        "detail": "Missing data for required field."}]
    assert client.get(f"/articles/{created['id']}").json == created


def test_patch_with_a_read_only_field_is_refused(client, create):
    created = create()

    response = client.patch(f"/articles/{created['id']}", json={"version": 9})

    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "/version"


def test_a_patch_removing_a_member_articles_do_not_have_is_refused(client, create):
    created = create()

    response = client.patch(f"/articles/{created['id']}", json={"sumary": None})

    assert response.status_code == 422
    assert response.json["errors"] == [{"pointer": "/sumary", "detail": "Unknown field."}]
    assert client.get(f"/articles/{created['id']}").json == created


def test_unknown_article_is_404(client):
    response = client.get("/articles/01900000-0000-7000-8000-000000000000")

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


class TestNaturalKey:
    path = "/sources/kayhan.ir/articles/92427"

    def test_put_creates_then_replaces(self, client, sample):
        body = {name: value for name, value in sample.items()
                if name not in ("source", "external_id")}

        created = client.put(self.path, json=body)
        replaced = client.put(self.path, json={**body, "headline": "Second"})

        assert created.status_code == 201
        assert _written(created.json) == sample
        assert created.headers["Location"] == f"/articles/{created.json['id']}"
        assert replaced.status_code == 200
        assert replaced.json["id"] == created.json["id"]
        assert replaced.json["version"] == 2
        assert client.get(self.path).json == replaced.json

    def test_put_is_idempotent(self, client, sample):
        first = client.put(self.path, json=sample)
        second = client.put(self.path, json=sample)

        assert (first.status_code, second.status_code) == (201, 200)
        assert _written(second.json) == _written(first.json) == sample
        assert client.get("/sources/kayhan.ir").json["article_count"] == 1

    def test_body_naming_another_article_is_refused(self, client, sample):
        response = client.put(self.path, json={**sample, "external_id": "1"})

        assert response.status_code == 422
        assert response.json["errors"][0]["pointer"] == "/external_id"
        assert client.get(self.path).status_code == 404

    def test_unknown_key_is_404(self, client):
        assert client.get(self.path).status_code == 404


class TestDuplicates:
    def test_same_source_and_external_id_is_409_naming_the_existing(self, client, create, sample):
        existing = create()

        response = client.post("/articles", json={**sample, "url": None})

        assert response.status_code == 409
        assert response.json["existing"] == f"/articles/{existing['id']}"
        assert len(client.get("/articles").json["items"]) == 1

    def test_same_url_is_409(self, client, create, sample):
        existing = create()

        response = client.post("/articles", json={**sample, "external_id": "other"})

        assert response.status_code == 409
        assert response.json["existing_id"] == existing["id"]

    def test_put_taking_another_articles_url_is_409(self, client, create, sample):
        first = create()
        second = create(external_id="2", url="https://kayhan.ir/en/news/2")

        response = client.put(f"/articles/{second['id']}", json={**sample, "external_id": "2"})

        assert response.status_code == 409
        assert response.json["existing_id"] == first["id"]
        assert client.get(f"/articles/{second['id']}").json == second

    def test_refused_create_leaves_no_new_source_behind(self, client, create, sample):
        create()

        response = client.post("/articles", json={**sample, "source": "new.example",
                                                  "external_id": "9"})

        assert response.status_code == 409
        assert client.get("/sources/new.example").status_code == 404


class TestConditionalRequests:
    def test_if_none_match_current_version_is_304(self, client, create):
        created = create()
        etag = client.get(f"/articles/{created['id']}").headers["ETag"]

        response = client.get(f"/articles/{created['id']}", headers={"If-None-Match": etag})

        assert response.status_code == 304
        assert response.data == b""

    def test_if_match_stale_version_is_412(self, client, create):
        created = create()
        stale = f'"1-{created["id"]}"'
        client.patch(f"/articles/{created['id']}", json={"headline": "Second"})

        response = client.patch(f"/articles/{created['id']}", json={"headline": "Third"},
                                headers={"If-Match": stale})

        assert response.status_code == 412
        assert response.json["current_version"] == 2
        assert client.get(f"/articles/{created['id']}").json["headline"] == "Second"

    def test_if_match_current_version_writes(self, client, create):
        created = create()

        response = client.delete(f"/articles/{created['id']}",
                                 headers={"If-Match": f'"1-{created["id"]}"'})

        assert response.status_code == 204

    def test_if_none_match_star_refuses_to_overwrite(self, client, sample):
        path = "/sources/kayhan.ir/articles/92427"
        assert client.put(path, json=sample, headers={"If-None-Match": "*"}).status_code == 201
        assert client.put(path, json=sample, headers={"If-None-Match": "*"}).status_code == 412


def test_if_match_needs_a_strong_match(client, create):
    created = create()

    response = client.patch(f"/articles/{created['id']}", json={"headline": "Second"},
                            headers={"If-Match": f'W/"1-{created["id"]}"'})

    assert response.status_code == 412


def test_blank_external_id_in_the_path_names_no_article(client, sample):
    response = client.put("/sources/kayhan.ir/articles/%20", json=sample)

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
