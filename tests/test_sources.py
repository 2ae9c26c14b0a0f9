"""/sources: registering publishers, and how articles keep them."""

from __future__ import annotations

import contextlib

from api.errors import Problem
from api.storage.db import database
from api.storage.models import Source
from api.writing import store
from api.writing.journal import writing

KAYHAN = {"domain": "kayhan.ir", "name": "Kayhan International", "time_zone": "Asia/Tehran",
          "language": "en"}


def test_creating_an_article_creates_its_source_with_defaults(client, create):
    create()

    response = client.get("/sources/kayhan.ir")

    assert response.status_code == 200
    assert response.json == {"domain": "kayhan.ir", "name": None, "time_zone": None,
                             "language": None, "article_count": 1,
                             "inferred_time_zone": "Asia/Tehran"}


def test_post_then_get(client):
    response = client.post("/sources", json=KAYHAN)

    assert response.status_code == 201
    assert response.headers["Location"] == "/sources/kayhan.ir"
    assert client.get("/sources/kayhan.ir").json == {**KAYHAN, "article_count": 0,
                                                     "inferred_time_zone": None}


def test_post_existing_is_409(client):
    client.post("/sources", json=KAYHAN)

    response = client.post("/sources", json={**KAYHAN, "name": "Other"})

    assert response.status_code == 409
    assert client.get("/sources/kayhan.ir").json["name"] == KAYHAN["name"]


def test_domains_are_case_insensitive(client):
    client.post("/sources", json={**KAYHAN, "domain": "Kayhan.IR"})

    assert client.get("/sources/KAYHAN.ir").json["domain"] == "kayhan.ir"


def test_put_creates_then_replaces(client):
    created = client.put("/sources/kayhan.ir", json={"name": "Kayhan"})
    replaced = client.put("/sources/kayhan.ir", json={"time_zone": "Asia/Tehran"})

    assert created.status_code == 201
    assert replaced.status_code == 200
    assert replaced.json == {"domain": "kayhan.ir", "name": None, "time_zone": "Asia/Tehran",
                             "language": None, "article_count": 0, "inferred_time_zone": None}


def test_a_put_without_a_body_is_refused_and_leaves_the_source_as_it_was(client):
    client.post("/sources", json=KAYHAN)

    response = client.put("/sources/kayhan.ir")

    assert response.status_code == 400
    assert response.json["detail"] == "The request needs a JSON body."
    assert client.get("/sources/kayhan.ir").json["name"] == KAYHAN["name"]


def test_put_with_another_domain_in_the_body_is_422(client):
    response = client.put("/sources/kayhan.ir", json={"domain": "presstv.ir"})

    assert response.status_code == 422
    assert client.get("/sources/kayhan.ir").status_code == 404


def test_patch_merges(client):
    client.post("/sources", json=KAYHAN)

    response = client.patch("/sources/kayhan.ir", json={"name": None, "language": "fa"},
                            content_type="application/merge-patch+json")

    assert response.status_code == 200
    assert response.json == {**KAYHAN, "name": None, "language": "fa", "article_count": 0,
                             "inferred_time_zone": None}


def test_a_patch_naming_a_member_sources_do_not_have_is_refused_even_as_null(client):
    client.post("/sources", json=KAYHAN)

    response = client.patch("/sources/kayhan.ir", json={"nmae": None, "language": "fa"},
                            content_type="application/merge-patch+json")

    assert response.status_code == 422
    assert response.json["errors"] == [{"pointer": "/nmae", "detail": "Unknown field."}]
    assert client.get("/sources/kayhan.ir").json["language"] == "en"


def test_unknown_time_zone_is_422(client):
    response = client.post("/sources", json={**KAYHAN, "time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "/time_zone"


def test_article_count_is_read_only(client):
    response = client.post("/sources", json={**KAYHAN, "article_count": 5})

    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "/article_count"


def test_source_with_articles_cannot_be_deleted(client, create):
    create()

    response = client.delete("/sources/kayhan.ir")

    assert response.status_code == 409
    assert client.get("/sources/kayhan.ir").status_code == 200


def test_source_without_articles_is_deleted(client):
    client.post("/sources", json=KAYHAN)

    assert client.delete("/sources/kayhan.ir").status_code == 204
    assert client.get("/sources/kayhan.ir").status_code == 404


def test_article_counts_follow_moves_between_sources(client, create, sample):
    article = create()

    client.put(f"/articles/{article['id']}", json={**sample, "source": "presstv.ir"})

    assert client.get("/sources/kayhan.ir").json["article_count"] == 0
    assert client.get("/sources/presstv.ir").json["article_count"] == 1


def test_counts_move_with_their_commit_and_not_with_a_rolled_back_savepoint(app, client,
                                                                          create):
    """A write's count moves as its transaction ends; a part that failed moves none."""
    create()

    with app.app_context(), database.connection_context(), writing():
        store.count("kayhan.ir", +1)
        with contextlib.suppress(Problem), writing():
            store.count("kayhan.ir", +5)
            raise Problem(409, "a failing part")
        # Not yet: other writers of this source are not kept waiting meanwhile.
        assert Source.get_by_id("kayhan.ir").article_count == 1

    assert client.get("/sources/kayhan.ir").json["article_count"] == 2


def test_list_is_paginated_by_domain(client):
    for domain in ("c.example", "a.example", "b.example"):
        client.post("/sources", json={"domain": domain})

    first = client.get("/sources?limit=2").json
    second = client.get(first["next"].removeprefix("http://localhost")).json

    assert [item["domain"] for item in first["items"]] == ["a.example", "b.example"]
    assert [item["domain"] for item in second["items"]] == ["c.example"]
    assert second["next"] is None
